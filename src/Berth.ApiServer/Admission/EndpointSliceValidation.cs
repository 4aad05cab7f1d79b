using System.Net;
using System.Net.Sockets;
using Berth.Core.Validation;
using k8s.Models;

namespace Berth.ApiServer.Admission;

/// <summary>upstream pkg/apis/discovery/validation ValidateEndpointSlice / ValidateEndpointSliceUpdate (the basics).</summary>
internal static class EndpointSliceValidation
{
    private const int MaxEndpoints = 1000;
    private const int MaxAddresses = 100;
    private const int MaxPorts = 20_000;
    private static readonly string[] AddressTypes = ["FQDN", "IPv4", "IPv6"];
    private static readonly string[] Protocols = ["SCTP", "TCP", "UDP"];

    public static List<FieldError> Validate(V1EndpointSlice slice, V1EndpointSlice? old)
    {
        var errors = new List<FieldError>();
        if (old is null)
        {
            ObjectMetaValidation.ValidateObjectMeta(slice.Metadata, true, NameValidation.NameIsDNSSubdomain, "metadata", errors);
        }
        else
        {
            ObjectMetaValidation.ValidateObjectMetaUpdate(slice.Metadata, old.Metadata, "metadata", errors);
            if (!string.Equals(slice.AddressType, old.AddressType, StringComparison.Ordinal))
            {
                errors.Add(FieldError.Invalid("addressType", slice.AddressType, ObjectMetaValidation.FieldImmutableErrorMsg));
            }
        }

        if (string.IsNullOrEmpty(slice.AddressType))
        {
            errors.Add(FieldError.Required("addressType"));
        }
        else if (old is null && !AddressTypes.Contains(slice.AddressType))
        {
            errors.Add(FieldError.NotSupported("addressType", slice.AddressType, AddressTypes));
        }

        var endpoints = slice.Endpoints ?? [];
        if (endpoints.Count > MaxEndpoints)
        {
            errors.Add(FieldError.TooMany("endpoints", endpoints.Count, MaxEndpoints));
        }

        for (var i = 0; i < endpoints.Count; i++)
        {
            ValidateEndpoint(endpoints[i], slice.AddressType, $"endpoints[{i}]", errors);
        }

        var ports = slice.Ports ?? [];
        if (ports.Count > MaxPorts)
        {
            errors.Add(FieldError.TooMany("ports", ports.Count, MaxPorts));
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < ports.Count; i++)
        {
            var port = ports[i];
            var path = $"ports[{i}]";
            var name = port.Name ?? "";
            if (name.Length > 0)
            {
                CommonValidation.ValidateDNS1123Label(name, path + ".name", errors);
            }

            if (!names.Add(name))
            {
                errors.Add(FieldError.Duplicate(path + ".name", name));
            }

            if (string.IsNullOrEmpty(port.Protocol))
            {
                errors.Add(FieldError.Required(path + ".protocol"));
            }
            else if (!Protocols.Contains(port.Protocol))
            {
                errors.Add(FieldError.NotSupported(path + ".protocol", port.Protocol, Protocols));
            }

            if (port.Port is { } number)
            {
                foreach (var message in NameValidation.IsValidPortNum(number))
                {
                    errors.Add(FieldError.Invalid(path + ".port", number, message));
                }
            }

            if (!string.IsNullOrEmpty(port.AppProtocol))
            {
                foreach (var message in NameValidation.IsQualifiedName(port.AppProtocol))
                {
                    errors.Add(FieldError.Invalid(path + ".appProtocol", port.AppProtocol, message));
                }
            }
        }

        return errors;
    }

    private static void ValidateEndpoint(V1Endpoint endpoint, string? addressType, string path, List<FieldError> errors)
    {
        var addresses = endpoint.Addresses ?? [];
        if (addresses.Count == 0)
        {
            errors.Add(FieldError.Required(path + ".addresses", "must contain at least 1 address"));
        }
        else if (addresses.Count > MaxAddresses)
        {
            errors.Add(FieldError.TooMany(path + ".addresses", addresses.Count, MaxAddresses));
        }

        for (var i = 0; i < addresses.Count; i++)
        {
            var address = addresses[i] ?? "";
            var addressPath = $"{path}.addresses[{i}]";
            switch (addressType)
            {
                case "IPv4" when !IPAddress.TryParse(address, out var v4) || v4.AddressFamily != AddressFamily.InterNetwork
                    || v4.ToString() != address:
                    errors.Add(FieldError.Invalid(addressPath, address, "must be a valid IPv4 address"));
                    break;
                case "IPv6" when !IPAddress.TryParse(address, out var v6) || v6.AddressFamily != AddressFamily.InterNetworkV6:
                    errors.Add(FieldError.Invalid(addressPath, address, "must be a valid IPv6 address"));
                    break;
                case "FQDN":
                    CommonValidation.ValidateDNS1123Subdomain(address, addressPath, errors);
                    break;
                default:
                    break;
            }
        }

        if (!string.IsNullOrEmpty(endpoint.Hostname))
        {
            CommonValidation.ValidateDNS1123Label(endpoint.Hostname, path + ".hostname", errors);
        }

        if (!string.IsNullOrEmpty(endpoint.NodeName))
        {
            foreach (var message in NameValidation.NameIsDNSSubdomain(endpoint.NodeName, false))
            {
                errors.Add(FieldError.Invalid(path + ".nodeName", endpoint.NodeName, message));
            }
        }
    }
}
