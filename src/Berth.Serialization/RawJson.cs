using System.Text.Json;
using System.Text.Json.Serialization;

namespace Berth.Serialization;

/// <summary>
/// A JSON value already written as UTF-8, for the free-form <c>object</c> members of the models (a managedFields
/// entry's fieldsV1): serialized as it is, without building a <see cref="JsonElement"/> first. Only for values Berth
/// wrote itself; reading the object back yields a <see cref="JsonElement"/> as usual.
/// </summary>
[JsonConverter(typeof(RawJsonConverter))]
public sealed class RawJson(ReadOnlyMemory<byte> utf8)
{
    public ReadOnlyMemory<byte> Utf8 { get; } = utf8;
}
