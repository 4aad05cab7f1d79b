using System.Text.Json.Nodes;
using Berth.Core;
using k8s.Models;

namespace Berth.ApiServer.OpenApi;

/// <summary>
/// One /openapi/v3/&lt;group-version&gt; document: the resource paths with upstream's operations (kubectl looks
/// for a PATCH whose x-kubernetes-group-version-kind is the object's and which lists a fieldValidation
/// parameter, to decide on server-side validation) and the component schemas `kubectl explain` renders.
/// </summary>
internal static class OpenApiV3Builder
{
    // Each served kind's list type (named, so Native AOT keeps them; a name lookup on the assembly would not be).
    private static readonly Dictionary<Type, Type> ListTypes = new()
    {
        [typeof(Corev1Event)] = typeof(Corev1EventList),
        [typeof(V1ConfigMap)] = typeof(V1ConfigMapList),
        [typeof(V1ControllerRevision)] = typeof(V1ControllerRevisionList),
        [typeof(V1EndpointSlice)] = typeof(V1EndpointSliceList),
        [typeof(V1Endpoints)] = typeof(V1EndpointsList),
        [typeof(V1Lease)] = typeof(V1LeaseList),
        [typeof(V1Namespace)] = typeof(V1NamespaceList),
        [typeof(V1Node)] = typeof(V1NodeList),
        [typeof(V1PersistentVolume)] = typeof(V1PersistentVolumeList),
        [typeof(V1PersistentVolumeClaim)] = typeof(V1PersistentVolumeClaimList),
        [typeof(V1Pod)] = typeof(V1PodList),
        [typeof(V1PodDisruptionBudget)] = typeof(V1PodDisruptionBudgetList),
        [typeof(V1Secret)] = typeof(V1SecretList),
        [typeof(V1Service)] = typeof(V1ServiceList),
        [typeof(V1ServiceAccount)] = typeof(V1ServiceAccountList),
        [typeof(V1StatefulSet)] = typeof(V1StatefulSetList),
        [typeof(V1StorageClass)] = typeof(V1StorageClassList),
    };

    private static readonly string[] PatchTypes =
        ["application/apply-patch+yaml", "application/json-patch+json", "application/merge-patch+json", "application/strategic-merge-patch+json"];

    public static JsonObject Build(string groupVersion, IReadOnlyList<ResourceDescriptor> resources, ModelDocs docs, string serverVersion)
    {
        var schemas = new JsonObject();
        var generator = new SchemaGenerator(docs, schemas);
        var paths = new JsonObject();
        generator.Add(typeof(V1Status), "");
        generator.Add(typeof(V1DeleteOptions), "");
        schemas[SchemaNames.MetaPackage + ".Patch"] = new JsonObject
        {
            ["description"] = "Patch is provided to give a concrete name and type to the Kubernetes PATCH request body.",
            ["type"] = "object",
        };

        foreach (var resource in resources)
        {
            var kindSchema = generator.Add(resource.ModelType, resource.Group);
            var listSchema = ListTypes.TryGetValue(resource.ModelType, out var listType) ? generator.Add(listType, resource.Group) : kindSchema;
            AddResourcePaths(paths, resource, kindSchema, listSchema);
            foreach (var sub in resource.Subresources)
            {
                var subType = sub.Name switch
                {
                    "status" => resource.ModelType,
                    "scale" => typeof(V1Scale),
                    "eviction" => typeof(V1Eviction),
                    _ => null,
                };
                if (subType is null)
                {
                    continue;
                }

                var subSchema = generator.Add(subType, sub.Group);
                AddSubresourcePaths(paths, resource, sub, subSchema);
            }
        }

        return new JsonObject
        {
            ["openapi"] = "3.0.0",
            ["info"] = new JsonObject { ["title"] = "Kubernetes", ["version"] = serverVersion },
            ["paths"] = paths,
            ["components"] = new JsonObject
            {
                ["schemas"] = Sorted(schemas),
                ["securitySchemes"] = new JsonObject
                {
                    ["BearerToken"] = new JsonObject
                    {
                        ["description"] = "Bearer Token authentication",
                        ["in"] = "header",
                        ["name"] = "authorization",
                        ["type"] = "apiKey",
                    },
                },
            },
            ["security"] = new JsonArray(new JsonObject { ["BearerToken"] = new JsonArray() }),
        };
    }

    private static JsonObject Sorted(JsonObject schemas)
    {
        var sorted = new JsonObject();
        foreach (var key in schemas.Select(p => p.Key).OrderBy(k => k, StringComparer.Ordinal).ToList())
        {
            var value = schemas[key];
            schemas.Remove(key);
            sorted[key] = value;
        }

        return sorted;
    }

    private static void AddResourcePaths(JsonObject paths, ResourceDescriptor resource, string kindSchema, string listSchema)
    {
        var prefix = resource.Group.Length == 0 ? "/api/v1" : $"/apis/{resource.Group}/{resource.Version}";
        var collection = resource.Namespaced ? $"{prefix}/namespaces/{{namespace}}/{resource.Plural}" : $"{prefix}/{resource.Plural}";
        var scope = resource.Namespaced ? "Namespaced" : "";
        var op = OperationSuffix(resource) + scope + resource.Kind;

        paths[collection] = new JsonObject
        {
            ["get"] = Operation(resource, "list", $"list or watch objects of kind {resource.Kind}", "list" + op, listSchema, null, ListParameters()),
            ["post"] = Operation(resource, "post", $"create {Article(resource.Kind)}", "create" + op, kindSchema, BodyContent(kindSchema),
                WriteParameters()),
            ["delete"] = Operation(resource, "deletecollection", $"delete collection of {resource.Kind}", "deleteCollection" + op,
                SchemaNames.MetaPackage + ".Status", BodyContent(SchemaNames.MetaPackage + ".DeleteOptions"), ListParameters()),
            ["parameters"] = PathParameters(resource.Namespaced, withName: false),
        };

        paths[collection + "/{name}"] = new JsonObject
        {
            ["get"] = Operation(resource, "get", $"read the specified {resource.Kind}", "read" + op, kindSchema, null, []),
            ["put"] = Operation(resource, "put", $"replace the specified {resource.Kind}", "replace" + op, kindSchema, BodyContent(kindSchema),
                WriteParameters()),
            ["patch"] = Operation(resource, "patch", $"partially update the specified {resource.Kind}", "patch" + op, kindSchema, PatchContent(),
                [.. WriteParameters(), Query("force", "boolean",
                    "Force is going to \"force\" Apply requests. It means user will re-acquire conflicting fields owned by other people. Force flag must be unset for non-apply patch requests.")]),
            ["delete"] = Operation(resource, "delete", $"delete {Article(resource.Kind)}", "delete" + op, SchemaNames.MetaPackage + ".Status",
                BodyContent(SchemaNames.MetaPackage + ".DeleteOptions"), [Query("dryRun", "string", DryRunDescription), Query("gracePeriodSeconds", "integer",
                    "The duration in seconds before the object should be deleted."), Query("propagationPolicy", "string",
                    "Whether and how garbage collection will be performed.")]),
            ["parameters"] = PathParameters(resource.Namespaced, withName: true),
        };

        if (resource.Namespaced)
        {
            paths[$"{prefix}/{resource.Plural}"] = new JsonObject
            {
                ["get"] = Operation(resource, "list", $"list or watch objects of kind {resource.Kind}",
                    "list" + OperationSuffix(resource) + resource.Kind + "ForAllNamespaces", listSchema, null, ListParameters()),
            };
        }
    }

    private static void AddSubresourcePaths(JsonObject paths, ResourceDescriptor resource, SubresourceDescriptor sub, string schema)
    {
        var prefix = resource.Group.Length == 0 ? "/api/v1" : $"/apis/{resource.Group}/{resource.Version}";
        var path = (resource.Namespaced ? $"{prefix}/namespaces/{{namespace}}/{resource.Plural}" : $"{prefix}/{resource.Plural}") + "/{name}/" + sub.Name;
        var scope = resource.Namespaced ? "Namespaced" : "";
        var op = OperationSuffix(resource) + scope + resource.Kind + char.ToUpperInvariant(sub.Name[0]) + sub.Name[1..];
        var item = new JsonObject { ["parameters"] = PathParameters(resource.Namespaced, withName: true) };
        if (sub.Verbs.Contains("get"))
        {
            item["get"] = Operation(resource, "get", $"read {sub.Name} of the specified {resource.Kind}", "read" + op, schema, null, [], sub);
        }

        if (sub.Verbs.Contains("update"))
        {
            item["put"] = Operation(resource, "put", $"replace {sub.Name} of the specified {resource.Kind}", "replace" + op, schema,
                BodyContent(schema), WriteParameters(), sub);
        }

        if (sub.Verbs.Contains("patch"))
        {
            item["patch"] = Operation(resource, "patch", $"partially update {sub.Name} of the specified {resource.Kind}", "patch" + op, schema,
                PatchContent(), [.. WriteParameters(), Query("force", "boolean", "Force is going to \"force\" Apply requests.")], sub);
        }

        if (sub.Verbs.Contains("create"))
        {
            item["post"] = Operation(resource, "post", $"create {sub.Name} of {Article(resource.Kind)}", "create" + op, schema,
                BodyContent(schema), WriteParameters(), sub);
        }

        paths[path] = item;
    }

    private const string DryRunDescription =
        "When present, indicates that modifications should not be persisted. An invalid or unrecognized dryRun directive will result in an error response and no further processing of the request. Valid values are: - All: all dry run stages will be processed";

    private const string FieldValidationDescription =
        "fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: - Ignore: This will ignore any unknown fields that are silently dropped from the object, and will ignore all but the last duplicate field that the decoder encounters. This is the default behavior prior to v1.23. - Warn: This will send a warning via the standard warning response header for each unknown field that is dropped from the object, and for each duplicate field that is encountered. The request will still succeed if there are no other errors, and will only persist the last of any duplicate fields. This is the default in v1.23+ - Strict: This will fail the request with a BadRequest error if any unknown fields would be dropped from the object, or if any duplicate fields are present. The error returned from the server will contain all unknown and duplicate fields encountered.";

    private static JsonNode[] WriteParameters() =>
    [
        Query("dryRun", "string", DryRunDescription),
        Query("fieldManager", "string",
            "fieldManager is a name associated with the actor or entity that is making these changes. The value must be less than or 128 characters long, and only contain printable characters, as defined by https://golang.org/pkg/unicode/#IsPrint."),
        Query("fieldValidation", "string", FieldValidationDescription),
    ];

    private static JsonNode[] ListParameters() =>
    [
        Query("labelSelector", "string", "A selector to restrict the list of returned objects by their labels. Defaults to everything."),
        Query("fieldSelector", "string", "A selector to restrict the list of returned objects by their fields. Defaults to everything."),
        Query("limit", "integer", "limit is a maximum number of responses to return for a list call."),
        Query("continue", "string", "The continue option should be set when retrieving more results from the server."),
        Query("resourceVersion", "string", "resourceVersion sets a constraint on what resource versions a request may be served from."),
        Query("timeoutSeconds", "integer", "Timeout for the list/watch call."),
        Query("watch", "boolean", "Watch for changes to the described resources and return them as a stream of add, update, and remove notifications."),
    ];

    private static JsonObject Query(string name, string type, string description) => new()
    {
        ["description"] = description,
        ["in"] = "query",
        ["name"] = name,
        ["schema"] = new JsonObject { ["type"] = type, ["uniqueItems"] = true },
    };

    private static JsonArray PathParameters(bool namespaced, bool withName)
    {
        var parameters = new JsonArray();
        if (withName)
        {
            parameters.Add((JsonNode)new JsonObject
            {
                ["description"] = "name of the resource",
                ["in"] = "path",
                ["name"] = "name",
                ["required"] = true,
                ["schema"] = new JsonObject { ["type"] = "string", ["uniqueItems"] = true },
            });
        }

        if (namespaced)
        {
            parameters.Add((JsonNode)new JsonObject
            {
                ["description"] = "object name and auth scope, such as for teams and projects",
                ["in"] = "path",
                ["name"] = "namespace",
                ["required"] = true,
                ["schema"] = new JsonObject { ["type"] = "string", ["uniqueItems"] = true },
            });
        }

        parameters.Add((JsonNode)Query("pretty", "string", "If 'true', then the output is pretty printed."));
        return parameters;
    }

    private static JsonObject Operation(
        ResourceDescriptor resource, string action, string description, string operationId, string responseSchema, JsonObject? body,
        JsonNode[] parameters, SubresourceDescriptor? sub = null)
    {
        var operation = new JsonObject
        {
            ["description"] = description,
            ["operationId"] = operationId,
            ["tags"] = new JsonArray((resource.Group.Length == 0 ? "core" : resource.Group.Split('.')[0]) + "_" + resource.Version),
        };
        if (parameters.Length > 0)
        {
            operation["parameters"] = new JsonArray(parameters.Select(p => p.DeepClone()).ToArray());
        }

        if (body is not null)
        {
            operation["requestBody"] = new JsonObject { ["content"] = body, ["required"] = true };
        }

        var ok = new JsonObject
        {
            ["content"] = new JsonObject
            {
                ["application/json"] = new JsonObject { ["schema"] = new JsonObject { ["$ref"] = "#/components/schemas/" + responseSchema } },
                ["application/yaml"] = new JsonObject { ["schema"] = new JsonObject { ["$ref"] = "#/components/schemas/" + responseSchema } },
            },
            ["description"] = "OK",
        };
        var responses = new JsonObject { ["200"] = ok };
        if (action is "post" or "put" or "patch")
        {
            responses["201"] = new JsonObject { ["content"] = ok["content"]!.DeepClone(), ["description"] = "Created" };
        }

        responses["401"] = new JsonObject { ["description"] = "Unauthorized" };
        operation["responses"] = responses;
        operation["x-kubernetes-action"] = action;

        // On operations the GVK is a single object (on schemas it is an array). Subresources name their own kind.
        operation["x-kubernetes-group-version-kind"] = new JsonObject
        {
            ["group"] = sub?.Group ?? resource.Group,
            ["kind"] = sub?.Kind ?? resource.Kind,
            ["version"] = sub?.Version ?? resource.Version,
        };
        return operation;
    }

    private static JsonObject BodyContent(string schema) => new()
    {
        ["*/*"] = new JsonObject { ["schema"] = new JsonObject { ["$ref"] = "#/components/schemas/" + schema } },
    };

    private static JsonObject PatchContent()
    {
        var content = new JsonObject();
        foreach (var type in PatchTypes)
        {
            content[type] = new JsonObject { ["schema"] = new JsonObject { ["$ref"] = "#/components/schemas/" + SchemaNames.MetaPackage + ".Patch" } };
        }

        return content;
    }

    private static string OperationSuffix(ResourceDescriptor resource)
    {
        var group = resource.Group.Length == 0 ? "Core" : string.Concat(resource.Group.Split('.')[0].Select((c, i) => i == 0 ? char.ToUpperInvariant(c) : c));
        return group + char.ToUpperInvariant(resource.Version[0]) + resource.Version[1..];
    }

    private static string Article(string kind) => ("AEIOU".Contains(kind[0], StringComparison.Ordinal) ? "an " : "a ") + kind;
}
