using Berth.Core.Validation;
using k8s.Models;

namespace Berth.ApiServer.Admission;

/// <summary>upstream ValidateNamespace / ValidateNamespaceUpdate.</summary>
internal static class NamespaceValidation
{
    public static List<FieldError> Validate(V1Namespace ns, V1Namespace? old)
    {
        var errors = new List<FieldError>();
        if (old is null)
        {
            ObjectMetaValidation.ValidateObjectMeta(ns.Metadata, false, NameValidation.NameIsDNSLabel, "metadata", errors);
        }
        else
        {
            ObjectMetaValidation.ValidateObjectMetaUpdate(ns.Metadata, old.Metadata, "metadata", errors);
        }

        foreach (var finalizer in ns.Spec?.Finalizers ?? [])
        {
            ValidateFinalizerName(finalizer ?? "", "spec.finalizers", errors);
        }

        return errors;
    }

    /// <summary>upstream validateFinalizerName: a qualified name, and either "kubernetes" or domain-prefixed.</summary>
    public static void ValidateFinalizerName(string name, string path, List<FieldError> errors)
    {
        var messages = NameValidation.IsQualifiedName(name);
        foreach (var message in messages)
        {
            errors.Add(FieldError.Invalid(path, name, message));
        }

        if (messages.Count == 0 && name != "kubernetes" && !name.Contains('/', StringComparison.Ordinal))
        {
            errors.Add(FieldError.Invalid(path, name, "name is neither a standard finalizer name nor is it fully qualified"));
        }
    }
}
