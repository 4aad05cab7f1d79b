using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Berth.ApiServer.Admission;
using Berth.Serialization;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using k8s.Models;

namespace Berth.ApiServer.Tests.Admission;

/// <summary>
/// Client input reaches defaulting and validation straight after decoding, so neither may throw on anything that
/// decodes: a throw would be a 500. Random mutations of real manifests (fields dropped, nulled, emptied, or set to
/// odd values) must decode-or-fail cleanly and then default and validate without exceptions, create and update.
/// </summary>
public sealed class AdmissionRobustnessTests
{
    private static readonly JsonNode[] OddValues =
    [
        JsonValue.Create(""), JsonValue.Create(-1), JsonValue.Create(0), JsonValue.Create("0%"), JsonValue.Create("150%"), JsonValue.Create("a/b/c"),
        JsonValue.Create("UPPER"), JsonValue.Create(" x "), JsonValue.Create("1e40"), JsonValue.Create("-1Gi"), new JsonObject(), new JsonArray(), JsonValue.Create("\n"), JsonValue.Create(70000),
    ];

    private static IEnumerable<(JsonNode Parent, string? Key, int Index)> Slots(JsonNode node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, value) in obj.ToList())
                {
                    yield return (obj, key, -1);
                    if (value is not null)
                    {
                        foreach (var slot in Slots(value))
                        {
                            yield return slot;
                        }
                    }
                }

                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    yield return (array, null, i);
                    if (array[i] is { } item)
                    {
                        foreach (var slot in Slots(item))
                        {
                            yield return slot;
                        }
                    }
                }

                break;
            default:
                break;
        }
    }

    private static string Mutate(string manifest, int[] choices)
    {
        var root = JsonNode.Parse(manifest)!;
        foreach (var choice in choices)
        {
            var slots = Slots(root).ToList();
            if (slots.Count == 0)
            {
                break;
            }

            var (parent, key, index) = slots[Math.Abs(choice) % slots.Count];
            var action = Math.Abs(choice / 7) % 3;
            var odd = OddValues[Math.Abs(choice / 21) % OddValues.Length].DeepClone();
            if (parent is JsonObject obj && key is not null)
            {
                if (action == 0)
                {
                    obj.Remove(key);
                }
                else
                {
                    obj[key] = action == 1 ? null : odd;
                }
            }
            else if (parent is JsonArray array && index < array.Count)
            {
                if (action == 0)
                {
                    array.RemoveAt(index);
                }
                else
                {
                    array[index] = action == 1 ? null : odd;
                }
            }
        }

        return root.ToJsonString();
    }

    private static bool Survives<T>(string manifest, int[] choices)
        where T : class
    {
        var mutated = Mutate(manifest, choices);
        T? model;
        try
        {
            model = BerthJson.Deserialize<T>(Encoding.UTF8.GetBytes(mutated));
        }
        catch (JsonException)
        {
            return true; // the registry answers 400 for undecodable bodies
        }
        catch (FormatException)
        {
            return true; // quantities and dates that do not parse: also a decode error, not ours
        }

        if (model is null)
        {
            return true;
        }

        ObjectDefaulter.Default(model);
        ObjectDefaulter.AdmitCreate(model);
        ObjectValidator.ValidateCreate(model);
        var old = Manifests.Decode<T>(manifest);
        ObjectValidator.ValidateUpdate(model, old);
        ObjectValidator.ValidateStatusUpdate(model, old);
        return true;
    }

    [Property(MaxTest = 400, Replay = "(12345,67891)")]
    public Property Mutated_statefulsets_never_throw(int[] choices) => Survives<V1StatefulSet>(Manifests.StatefulSet, choices).ToProperty();

    [Property(MaxTest = 300, Replay = "(23456,78901)")]
    public Property Mutated_pods_never_throw(int[] choices) => Survives<V1Pod>(Manifests.Pod, choices).ToProperty();

    [Property(MaxTest = 200, Replay = "(34567,89013)")]
    public Property Mutated_services_and_claims_never_throw(int[] choices) =>
        (Survives<V1Service>(Manifests.Service, choices) && Survives<V1PersistentVolumeClaim>(Manifests.Claim, choices)).ToProperty();
}
