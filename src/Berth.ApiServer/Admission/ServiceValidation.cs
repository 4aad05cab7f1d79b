using Berth.Core.Validation;
using k8s.Models;

namespace Berth.ApiServer.Admission;

/// <summary>upstream core validation ValidateService / ValidateServiceUpdate, for the fields a single node uses.</summary>
internal static class ServiceValidation
{
    private static readonly string[] Types = ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"];
    private static readonly string[] Affinities = ["ClientIP", "None"];
    private static readonly string[] Protocols = ["SCTP", "TCP", "UDP"];
    private static readonly string[] IpFamilies = ["IPv4", "IPv6"];
    private static readonly string[] IpFamilyPolicies = ["PreferDualStack", "RequireDualStack", "SingleStack"];

    public static List<FieldError> ValidateCreate(V1Service service)
    {
        var errors = new List<FieldError>();

        // Service names become DNS labels that must start with a letter (RFC 1035).
        ObjectMetaValidation.ValidateObjectMeta(service.Metadata, true, NameValidation.NameIsDNS1035Label, "metadata", errors);
        ValidateSpec(service.Spec, errors);
        return errors;
    }

    public static List<FieldError> ValidateUpdate(V1Service service, V1Service old)
    {
        var errors = new List<FieldError>();
        ObjectMetaValidation.ValidateObjectMetaUpdate(service.Metadata, old.Metadata, "metadata", errors);
        ValidateSpec(service.Spec, errors);

        // upstream validateServiceClusterIPsRelatedFields: an allocated cluster IP is fixed for the Service's life
        // (except when switching to or from ExternalName).
        var oldIp = old.Spec?.ClusterIP;
        var newIp = service.Spec?.ClusterIP;
        if (!string.IsNullOrEmpty(oldIp) && old.Spec?.Type != "ExternalName" && service.Spec?.Type != "ExternalName"
            && !string.Equals(oldIp, newIp, StringComparison.Ordinal))
        {
            errors.Add(FieldError.Invalid("spec.clusterIPs[0]", (IEnumerable<string>?)service.Spec?.ClusterIPs ?? [], "may not change once set"));
        }

        return errors;
    }

    private static void ValidateSpec(V1ServiceSpec? spec, List<FieldError> errors)
    {
        spec ??= new V1ServiceSpec();
        const string path = "spec";
        var type = spec.Type;
        var headless = spec.ClusterIP == "None";
        var ports = spec.Ports ?? [];
        if (ports.Count == 0 && !headless && type != "ExternalName")
        {
            errors.Add(FieldError.Required(path + ".ports"));
        }

        switch (type)
        {
            case null or "":
                errors.Add(FieldError.Required(path + ".type"));
                break;
            case "ClusterIP" or "NodePort" or "LoadBalancer":
                break;
            case "ExternalName":
                if (string.IsNullOrEmpty(spec.ExternalName))
                {
                    errors.Add(FieldError.Required(path + ".externalName"));
                }
                else
                {
                    CommonValidation.ValidateDNS1123Subdomain(spec.ExternalName.TrimEnd('.'), path + ".externalName", errors);
                }

                break;
            default:
                errors.Add(FieldError.NotSupported(path + ".type", type, Types));
                break;
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        var keys = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < ports.Count; i++)
        {
            var port = ports[i];
            var portPath = $"{path}.ports[{i}]";
            if (ports.Count > 1 && string.IsNullOrEmpty(port.Name))
            {
                errors.Add(FieldError.Required(portPath + ".name"));
            }
            else if (!string.IsNullOrEmpty(port.Name))
            {
                CommonValidation.ValidateDNS1123Label(port.Name, portPath + ".name", errors);
                if (!names.Add(port.Name))
                {
                    errors.Add(FieldError.Duplicate(portPath + ".name", port.Name));
                }
            }

            foreach (var message in NameValidation.IsValidPortNum(port.Port))
            {
                errors.Add(FieldError.Invalid(portPath + ".port", port.Port, message));
            }

            if (string.IsNullOrEmpty(port.Protocol))
            {
                errors.Add(FieldError.Required(portPath + ".protocol"));
            }
            else if (!Protocols.Contains(port.Protocol))
            {
                errors.Add(FieldError.NotSupported(portPath + ".protocol", port.Protocol, Protocols));
            }

            if (port.TargetPort is not null)
            {
                PodValidation.ValidatePortNumOrName(port.TargetPort, portPath + ".targetPort", errors);
            }

            if (port.NodePort is { } nodePort and not 0 && type is "ClusterIP")
            {
                errors.Add(FieldError.Forbidden(portPath + ".nodePort", "may not be used when `type` is 'ClusterIP'"));
            }

            var key = $"{port.Port}/{port.Protocol}";
            if (!keys.Add(key))
            {
                errors.Add(FieldError.Duplicate(portPath, new GoValue.Literal($"core.ServicePort{{Name:\"{port.Name}\", Protocol:\"{port.Protocol}\", Port:{port.Port}}}")));
            }
        }

        if (type != "ExternalName")
        {
            switch (spec.SessionAffinity)
            {
                case null or "":
                    errors.Add(FieldError.Required(path + ".sessionAffinity"));
                    break;
                case "ClientIP" or "None":
                    break;
                default:
                    errors.Add(FieldError.NotSupported(path + ".sessionAffinity", spec.SessionAffinity, Affinities));
                    break;
            }
        }

        if (!string.IsNullOrEmpty(spec.ClusterIP) && spec.ClusterIP != "None")
        {
            foreach (var message in NameValidation.IsValidIP(spec.ClusterIP))
            {
                errors.Add(FieldError.Invalid(path + ".clusterIPs[0]", spec.ClusterIP, message));
            }
        }

        foreach (var (family, i) in (spec.IpFamilies ?? []).Select((f, i) => (f, i)))
        {
            if (!IpFamilies.Contains(family))
            {
                errors.Add(FieldError.NotSupported($"{path}.ipFamilies[{i}]", family, IpFamilies));
            }
        }

        if (spec.IpFamilyPolicy is { } policy && !IpFamilyPolicies.Contains(policy))
        {
            errors.Add(FieldError.NotSupported(path + ".ipFamilyPolicy", policy, IpFamilyPolicies));
        }

        ObjectMetaValidation.ValidateLabels(spec.Selector, path + ".selector", errors);
    }
}
