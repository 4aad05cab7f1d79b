using Berth.Core.Validation;
using k8s.Models;

namespace Berth.ApiServer.Admission;

/// <summary>
/// upstream apimachinery api/validation objectmeta.go (ValidateObjectMetaAccessor, ValidateObjectMetaAccessorUpdate,
/// ValidateAnnotations, ValidateOwnerReferences, ValidateFinalizers) and meta/v1/validation ValidateLabels.
/// </summary>
internal static class ObjectMetaValidation
{
    /// <summary>upstream TotalAnnotationSizeLimitB: 256 KiB over all keys and values.</summary>
    public const int TotalAnnotationSizeLimitB = 256 * 1024;

    public const string FieldImmutableErrorMsg = "field is immutable";

    public static void ValidateObjectMeta(V1ObjectMeta? meta, bool requiresNamespace, NameValidator nameFn, string path, List<FieldError> errors)
    {
        meta ??= new V1ObjectMeta();
        if (!string.IsNullOrEmpty(meta.GenerateName))
        {
            foreach (var message in nameFn(meta.GenerateName, true))
            {
                errors.Add(FieldError.Invalid(path + ".generateName", meta.GenerateName, message));
            }
        }

        // upstream: if the generated name is invalid the name is too, so only the name's emptiness is special.
        if (string.IsNullOrEmpty(meta.Name))
        {
            errors.Add(FieldError.Required(path + ".name", "name or generateName is required"));
        }
        else
        {
            foreach (var message in nameFn(meta.Name, false))
            {
                errors.Add(FieldError.Invalid(path + ".name", meta.Name, message));
            }
        }

        if (requiresNamespace)
        {
            if (string.IsNullOrEmpty(meta.NamespaceProperty))
            {
                errors.Add(FieldError.Required(path + ".namespace"));
            }
            else
            {
                foreach (var message in NameValidation.NameIsDNSLabel(meta.NamespaceProperty, false))
                {
                    errors.Add(FieldError.Invalid(path + ".namespace", meta.NamespaceProperty, message));
                }
            }
        }
        else if (!string.IsNullOrEmpty(meta.NamespaceProperty))
        {
            errors.Add(FieldError.Forbidden(path + ".namespace", "not allowed on this type"));
        }

        if (meta.Generation is < 0)
        {
            errors.Add(FieldError.Invalid(path + ".generation", meta.Generation.Value, CommonValidation.IsNegativeErrorMsg));
        }

        ValidateLabels(meta.Labels, path + ".labels", errors);
        ValidateAnnotations(meta.Annotations, path + ".annotations", errors);
        ValidateOwnerReferences(meta.OwnerReferences, path + ".ownerReferences", errors);
        ValidateFinalizers(meta.Finalizers, path + ".finalizers", errors);
    }

    /// <summary>
    /// upstream ValidateObjectMetaAccessorUpdate, minus the "resourceVersion must be specified" check: the registry
    /// fills an unconditional update's resourceVersion from the stored object before validating, as upstream does.
    /// </summary>
    public static void ValidateObjectMetaUpdate(V1ObjectMeta? meta, V1ObjectMeta? old, string path, List<FieldError> errors)
    {
        meta ??= new V1ObjectMeta();
        old ??= new V1ObjectMeta();
        if (old.DeletionTimestamp is not null)
        {
            var oldFinalizers = new HashSet<string>(old.Finalizers ?? [], StringComparer.Ordinal);
            var added = (meta.Finalizers ?? []).Where(f => !oldFinalizers.Contains(f)).ToList();
            if (added.Count > 0)
            {
                errors.Add(FieldError.Forbidden(path + ".finalizers",
                    $"no new finalizers can be added if the object is being deleted, found new finalizers []string{{{string.Join(", ", added.Select(GoValue.Quote))}}}"));
            }
        }

        if ((meta.Generation ?? 0) < (old.Generation ?? 0))
        {
            errors.Add(FieldError.Invalid(path + ".generation", meta.Generation ?? 0, "must not be decremented"));
        }

        ValidateImmutable(meta.Name ?? "", old.Name ?? "", path + ".name", errors);
        ValidateImmutable(meta.NamespaceProperty ?? "", old.NamespaceProperty ?? "", path + ".namespace", errors);
        // upstream's rest.BeforeUpdate fills an omitted uid and creationTimestamp from the stored object before
        // validating, so only a different value is an error; we accept omission here for the same effect.
        if (!string.IsNullOrEmpty(meta.Uid))
        {
            ValidateImmutable(meta.Uid, old.Uid ?? "", path + ".uid", errors);
        }

        if (meta.CreationTimestamp is not null && meta.CreationTimestamp != old.CreationTimestamp)
        {
            errors.Add(FieldError.Invalid(path + ".creationTimestamp", FormatTime(meta.CreationTimestamp), FieldImmutableErrorMsg));
        }

        if (meta.DeletionTimestamp != old.DeletionTimestamp)
        {
            errors.Add(FieldError.Invalid(path + ".deletionTimestamp", FormatTime(meta.DeletionTimestamp), FieldImmutableErrorMsg));
        }

        if (meta.DeletionGracePeriodSeconds != old.DeletionGracePeriodSeconds)
        {
            errors.Add(FieldError.Invalid(path + ".deletionGracePeriodSeconds", meta.DeletionGracePeriodSeconds, FieldImmutableErrorMsg));
        }

        ValidateLabels(meta.Labels, path + ".labels", errors);
        ValidateAnnotations(meta.Annotations, path + ".annotations", errors);
        ValidateOwnerReferences(meta.OwnerReferences, path + ".ownerReferences", errors);
    }

    public static void ValidateImmutable(string value, string old, string path, List<FieldError> errors)
    {
        if (!string.Equals(value, old, StringComparison.Ordinal))
        {
            errors.Add(FieldError.Invalid(path, value, FieldImmutableErrorMsg));
        }
    }

    /// <summary>upstream ValidateLabels: keys are qualified names, values label values; the path has no key.</summary>
    public static void ValidateLabels(IDictionary<string, string>? labels, string path, List<FieldError> errors)
    {
        if (labels is null)
        {
            return;
        }

        foreach (var (key, value) in labels.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            ValidateLabelName(key, path, errors);
            foreach (var message in NameValidation.IsValidLabelValue(value ?? ""))
            {
                errors.Add(FieldError.Invalid(path, value ?? "", message));
            }
        }
    }

    public static void ValidateLabelName(string key, string path, List<FieldError> errors)
    {
        foreach (var message in NameValidation.IsQualifiedName(key))
        {
            errors.Add(FieldError.Invalid(path, key, message));
        }
    }

    /// <summary>upstream ValidateAnnotations: keys are case-insensitive qualified names; 256 KiB in total.</summary>
    public static void ValidateAnnotations(IDictionary<string, string>? annotations, string path, List<FieldError> errors)
    {
        if (annotations is null)
        {
            return;
        }

        long total = 0;
        foreach (var (key, value) in annotations.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            foreach (var message in NameValidation.IsQualifiedName(key.ToLowerInvariant()))
            {
                errors.Add(FieldError.Invalid(path, key, message));
            }

            total += System.Text.Encoding.UTF8.GetByteCount(key) + System.Text.Encoding.UTF8.GetByteCount(value ?? "");
        }

        if (total > TotalAnnotationSizeLimitB)
        {
            errors.Add(FieldError.TooLong(path, "", TotalAnnotationSizeLimitB));
        }
    }

    public static void ValidateOwnerReferences(IList<V1OwnerReference>? references, string path, List<FieldError> errors)
    {
        if (references is null)
        {
            return;
        }

        string? firstController = null;
        foreach (var reference in references)
        {
            var apiVersion = reference.ApiVersion ?? "";
            var version = apiVersion.Contains('/', StringComparison.Ordinal) ? apiVersion[(apiVersion.IndexOf('/', StringComparison.Ordinal) + 1)..] : apiVersion;
            if (version.Length == 0)
            {
                errors.Add(FieldError.Invalid(path + ".apiVersion", apiVersion, "version must not be empty"));
            }

            if (string.IsNullOrEmpty(reference.Kind))
            {
                errors.Add(FieldError.Invalid(path + ".kind", reference.Kind ?? "", "must not be empty"));
            }

            if (string.IsNullOrEmpty(reference.Name))
            {
                errors.Add(FieldError.Invalid(path + ".name", reference.Name ?? "", "must not be empty"));
            }

            if (string.IsNullOrEmpty(reference.Uid))
            {
                errors.Add(FieldError.Invalid(path + ".uid", reference.Uid ?? "", "must not be empty"));
            }

            if (reference.Controller == true)
            {
                var current = reference.Kind + "/" + reference.Name;
                if (firstController is not null)
                {
                    errors.Add(FieldError.Invalid(path, new GoValue.Literal("[]v1.OwnerReference{...}"),
                        $"Only one reference can have Controller set to true. Found \"true\" in references for {firstController} and {current}"));
                }
                else
                {
                    firstController = current;
                }
            }
        }
    }

    public static void ValidateFinalizers(IList<string>? finalizers, string path, List<FieldError> errors)
    {
        if (finalizers is null)
        {
            return;
        }

        foreach (var finalizer in finalizers)
        {
            foreach (var message in NameValidation.IsQualifiedName(finalizer ?? ""))
            {
                errors.Add(FieldError.Invalid(path, finalizer ?? "", message));
            }
        }
    }

    private static GoValue.Literal FormatTime(DateTime? time) =>
        new(time is null ? "null" : time.Value.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss +0000 UTC", System.Globalization.CultureInfo.InvariantCulture));
}
