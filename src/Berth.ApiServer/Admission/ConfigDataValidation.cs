using System.Text;
using Berth.Core.Validation;
using k8s.Models;

namespace Berth.ApiServer.Admission;

/// <summary>upstream ValidateConfigMap(Update) and ValidateSecret(Update): keys, the 1 MiB size limit, types, immutability.</summary>
internal static class ConfigDataValidation
{
    /// <summary>upstream core.MaxSecretSize (also the ConfigMap limit): 1 MiB.</summary>
    public const int MaxSize = 1024 * 1024;

    private const string ImmutableMessage = "field is immutable when `immutable` is set";

    public static List<FieldError> ValidateConfigMap(V1ConfigMap map, V1ConfigMap? old)
    {
        var errors = new List<FieldError>();
        ValidateMeta(map.Metadata, old?.Metadata, errors);
        long total = 0;
        foreach (var (key, value) in (map.Data ?? new Dictionary<string, string>()).OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            ValidateKey(key, $"data[{key}]", errors);
            total += Encoding.UTF8.GetByteCount(value ?? "");
        }

        foreach (var (key, value) in (map.BinaryData ?? new Dictionary<string, byte[]>()).OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            ValidateKey(key, $"binaryData[{key}]", errors);
            if (map.Data?.ContainsKey(key) == true)
            {
                errors.Add(FieldError.Invalid($"binaryData[{key}]", key, "duplicate of key present in data"));
            }

            total += value?.Length ?? 0;
        }

        if (total > MaxSize)
        {
            // upstream passes an empty path: the error is about the whole object.
            errors.Add(FieldError.TooLong("", "", MaxSize));
        }

        if (old?.Immutable == true)
        {
            if (map.Immutable != true)
            {
                errors.Add(FieldError.Forbidden("immutable", ImmutableMessage));
            }

            if (!SemanticEquality.AreEqual(Wrap(map.Data), Wrap(old.Data)))
            {
                errors.Add(FieldError.Forbidden("data", ImmutableMessage));
            }

            if (!SemanticEquality.AreEqual(WrapBytes(map.BinaryData), WrapBytes(old.BinaryData)))
            {
                errors.Add(FieldError.Forbidden("binaryData", ImmutableMessage));
            }
        }

        return errors;
    }

    public static List<FieldError> ValidateSecret(V1Secret secret, V1Secret? old)
    {
        var errors = new List<FieldError>();
        ValidateMeta(secret.Metadata, old?.Metadata, errors);
        var data = secret.Data ?? new Dictionary<string, byte[]>();
        long total = 0;
        foreach (var (key, value) in data.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            ValidateKey(key, $"data[{key}]", errors);
            total += value?.Length ?? 0;
        }

        if (total > MaxSize)
        {
            errors.Add(FieldError.TooLong("data", "", MaxSize));
        }

        switch (secret.Type)
        {
            case "kubernetes.io/service-account-token":
                if (string.IsNullOrEmpty(secret.Metadata?.Annotations.ValueOrDefault("kubernetes.io/service-account.name")))
                {
                    errors.Add(FieldError.Required("metadata.annotations[kubernetes.io/service-account.name]"));
                }

                break;
            case "kubernetes.io/dockercfg":
                RequireKey(data, ".dockercfg", errors);
                break;
            case "kubernetes.io/dockerconfigjson":
                RequireKey(data, ".dockerconfigjson", errors);
                break;
            case "kubernetes.io/basic-auth":
                if (!data.ContainsKey("username") && !data.ContainsKey("password"))
                {
                    errors.Add(FieldError.Required("data[username]"));
                    errors.Add(FieldError.Required("data[password]"));
                }

                break;
            case "kubernetes.io/ssh-auth":
                RequireKey(data, "ssh-privatekey", errors);
                break;
            case "kubernetes.io/tls":
                RequireKey(data, "tls.crt", errors);
                RequireKey(data, "tls.key", errors);
                break;
            default:
                break;
        }

        if (old is not null)
        {
            if (!string.Equals(secret.Type ?? "", old.Type ?? "", StringComparison.Ordinal))
            {
                errors.Add(FieldError.Invalid("type", secret.Type ?? "", ObjectMetaValidation.FieldImmutableErrorMsg));
            }

            if (old.Immutable == true)
            {
                if (secret.Immutable != true)
                {
                    errors.Add(FieldError.Forbidden("immutable", ImmutableMessage));
                }

                if (!SemanticEquality.AreEqual(WrapBytes(secret.Data), WrapBytes(old.Data)))
                {
                    errors.Add(FieldError.Forbidden("data", ImmutableMessage));
                }
            }
        }

        return errors;
    }

    private static void ValidateMeta(V1ObjectMeta? meta, V1ObjectMeta? old, List<FieldError> errors)
    {
        if (old is null)
        {
            ObjectMetaValidation.ValidateObjectMeta(meta, true, NameValidation.NameIsDNSSubdomain, "metadata", errors);
        }
        else
        {
            ObjectMetaValidation.ValidateObjectMetaUpdate(meta, old, "metadata", errors);
        }
    }

    private static void ValidateKey(string key, string path, List<FieldError> errors)
    {
        foreach (var message in NameValidation.IsConfigMapKey(key))
        {
            errors.Add(FieldError.Invalid(path, key, message));
        }
    }

    private static void RequireKey(IDictionary<string, byte[]> data, string key, List<FieldError> errors)
    {
        if (!data.ContainsKey(key))
        {
            errors.Add(FieldError.Required($"data[{key}]"));
        }
    }

    // Compared through a ConfigMap so SemanticEquality can use the source-generated JSON metadata.
    private static V1ConfigMap Wrap(IDictionary<string, string>? data) => new() { Data = data };

    private static V1ConfigMap WrapBytes(IDictionary<string, byte[]>? data) => new() { BinaryData = data };
}
