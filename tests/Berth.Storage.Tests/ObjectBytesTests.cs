using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Xunit;

namespace Berth.Storage.Tests;

public sealed class ObjectBytesTests
{
    /// <summary>
    /// Stamping any object (with or without metadata, with or without a resourceVersion of any JSON type)
    /// yields valid JSON equal to the input with exactly metadata.resourceVersion set to the revision.
    /// </summary>
    [Property(MaxTest = 300)]
    public bool Stamping_sets_resourceVersion_and_changes_nothing_else(NonNegativeInt revision, string[] names, byte shape)
    {
        var root = new JsonObject();
        foreach (var n in names.Where(n => n is not null && n != "metadata").Distinct().Take(5))
        {
            root[n] = n.Length % 2 == 0 ? n : new JsonObject { ["nested"] = new JsonArray(1, "two", null) };
        }

        JsonObject? metadata = (shape % 4) switch
        {
            0 => null,
            1 => [],
            2 => new JsonObject { ["name"] = "x", ["resourceVersion"] = "77" },
            _ => new JsonObject { ["resourceVersion"] = new JsonObject { ["odd"] = 1 }, ["uid"] = "u" },
        };
        if (metadata is not null)
        {
            root["metadata"] = metadata;
        }

        var input = Encoding.UTF8.GetBytes(root.ToJsonString());
        var stamped = ObjectBytes.ValidateAndStamp(input, revision.Get);
        var output = JsonNode.Parse(stamped)!.AsObject();

        var expected = JsonNode.Parse(input)!.AsObject();
        var expectedMetadata = expected["metadata"]?.AsObject() ?? [];
        expected.Remove("metadata");
        expectedMetadata["resourceVersion"] = revision.Get.ToString(System.Globalization.CultureInfo.InvariantCulture);
        expected["metadata"] = expectedMetadata;
        return JsonNode.DeepEquals(expected, output);
    }

    [Fact]
    public void ReadUid_finds_metadata_uid_and_ignores_uids_elsewhere()
    {
        Assert.Equal("abc", ObjectBytes.ReadUid("""{"spec":{"uid":"no"},"metadata":{"name":"x","uid":"abc"}}"""u8));
        Assert.Null(ObjectBytes.ReadUid("""{"spec":{"uid":"no"},"metadata":{"name":"x"}}"""u8));
        Assert.Null(ObjectBytes.ReadUid("""{"uid":"no"}"""u8));
    }

    [Property(MaxTest = 200)]
    public bool Continue_tokens_round_trip_within_their_prefix(PositiveInt revision, NonEmptyString name)
    {
        const string Prefix = "/registry/pods/";
        var segment = new string(name.Get.Where(c => c != '/' && !char.IsControl(c)).ToArray());
        if (segment is "" or "." or "..")
        {
            return true;
        }

        var key = Prefix + segment + "\0";
        var token = ContinueToken.Encode(revision.Get, key, Prefix);
        return ContinueToken.Decode(token, Prefix) == (revision.Get, key)
            && ContinueToken.Decode(token, "/registry/secrets/").StartKey.StartsWith("/registry/secrets/", StringComparison.Ordinal);
    }

    [Fact]
    public void Stamped_values_are_valid_json_for_every_revision_width()
    {
        foreach (var revision in new[] { 0L, 9L, 10L, long.MaxValue })
        {
            using var doc = JsonDocument.Parse(ObjectBytes.ValidateAndStamp("""{"metadata":{"resourceVersion":""}}"""u8, revision));
            Assert.Equal(revision.ToString(System.Globalization.CultureInfo.InvariantCulture), doc.RootElement.GetProperty("metadata").GetProperty("resourceVersion").GetString());
        }
    }
}
