using Berth.Core;

namespace Berth.ApiServer.OpenApi;

/// <summary>
/// /openapi/v2 as the protobuf kubectl 1.27/1.28 fetch before anything else (a 404 there is fatal for apply and
/// explain). It is a minimal gnostic openapi_v2.Document: swagger "2.0", info, and one path per kind whose PATCH
/// operation carries the fieldValidation query parameter and x-kubernetes-group-version-kind, so those kubectl
/// versions also choose server-side validation. No definitions: explain and patch metadata come from v3.
/// Field numbers are gnostic's openapi_v2.proto (Document.paths=8, PathItem.patch=8, Operation.parameters=8,
/// Operation.vendor_extension=13, NonBodyParameter.query_parameter_sub_schema=3, Any.yaml=2).
/// </summary>
internal static class OpenApiV2Document
{
    public static byte[] Build(IReadOnlyList<ResourceDescriptor> resources, string serverVersion)
    {
        var paths = new ProtoWriter();
        foreach (var resource in resources)
        {
            var prefix = resource.Group.Length == 0 ? "/api/v1" : $"/apis/{resource.Group}/{resource.Version}";
            var path = (resource.Namespaced ? $"{prefix}/namespaces/{{namespace}}/{resource.Plural}" : $"{prefix}/{resource.Plural}") + "/{name}";
            var query = new ProtoWriter()
                .Bool(1, false)
                .String(2, "query")
                .String(3, "fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing unknown or duplicate fields.")
                .String(4, "fieldValidation")
                .String(6, "string");
            var parameter = new ProtoWriter().Message(2, new ProtoWriter().Message(3, query));
            var gvk = new ProtoWriter()
                .String(1, "x-kubernetes-group-version-kind")
                .Message(2, new ProtoWriter().String(2, $"group: \"{resource.Group}\"\nkind: {resource.Kind}\nversion: {resource.Version}\n"));
            var action = new ProtoWriter()
                .String(1, "x-kubernetes-action")
                .Message(2, new ProtoWriter().String(2, "patch\n"));
            var operation = new ProtoWriter()
                .String(3, $"partially update the specified {resource.Kind}")
                .String(5, "patch" + resource.Kind)
                .Message(8, new ProtoWriter().Message(1, parameter))
                .Message(13, action)
                .Message(13, gvk);
            paths.Message(2, new ProtoWriter().String(1, path).Message(2, new ProtoWriter().Message(8, operation)));
        }

        return new ProtoWriter()
            .String(1, "2.0")
            .Message(2, new ProtoWriter().String(1, "Kubernetes").String(2, serverVersion))
            .Message(8, paths)
            .ToArray();
    }
}
