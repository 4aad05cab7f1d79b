using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Berth.ApiServer.Registry;
using Berth.Core;
using Berth.Core.Selectors;
using Berth.Serialization;
using Berth.Storage;
using k8s.Models;
using Microsoft.AspNetCore.Http;

namespace Berth.ApiServer.Http;

/// <summary>
/// pods/eviction (upstream registry/core/pod/storage EvictionREST): a delete that respects
/// PodDisruptionBudgets. A pod not yet running or already finished is deleted without consulting budgets; one
/// covered by a budget with no disruptions left gets 429 TooManyRequests; otherwise the budget's
/// disruptionsAllowed is spent and the pod deleted. Success is 201 with a Status.
/// </summary>
internal sealed class EvictionSubresource
{
    private readonly ObjectRegistry _registry;

    public EvictionSubresource(ObjectRegistry registry) => _registry = registry;

    public async Task HandleAsync(HttpContext context, ResourceDescriptor pods, string ns, string name, QueryOptions query)
    {
        var bytes = await RequestBody.ReadAsync(context).ConfigureAwait(false);
        var body = RequestBody.ParseObject(bytes, context.Request.ContentType, "Eviction");
        var evictionName = JsonMeta.String(body["metadata"], "name");
        if (!string.IsNullOrEmpty(evictionName) && evictionName != name)
        {
            throw Errors.BadRequest($"name in URL does not match name in Eviction object");
        }

        var deleteOptions = new DeleteRequest { DryRun = query.DryRun };
        if (body["deleteOptions"] is JsonObject options)
        {
            deleteOptions = deleteOptions with
            {
                GracePeriodSeconds = JsonMeta.Long(options, "gracePeriodSeconds"),
                PropagationPolicy = JsonMeta.String(options, "propagationPolicy"),
                PreconditionUid = JsonMeta.String(options["preconditions"], "uid"),
                PreconditionResourceVersion = JsonMeta.String(options["preconditions"], "resourceVersion"),
            };
        }

        var podKv = await _registry.GetAsync(pods, ns, name, context.RequestAborted).ConfigureAwait(false);
        var pod = ObjectRegistry.Parse(podKv.Value);
        var phase = JsonMeta.String(pod["status"], "phase");
        var ignoresBudgets = phase is "Succeeded" or "Failed" or "Pending" || JsonMeta.Metadata(pod)["deletionTimestamp"] is not null;
        if (!ignoresBudgets)
        {
            await SpendDisruptionAsync(context, ns, pod, query.DryRun).ConfigureAwait(false);
        }

        await _registry.DeleteAsync(pods, ns, name, deleteOptions, context.RequestAborted).ConfigureAwait(false);
        var status = Status.Success() with { Code = 201 };
        await HttpResponses.WriteAsync(context, 201, JsonSerializer.SerializeToUtf8Bytes(status, WireJsonContext.Default.Status), MediaTypes.Json)
            .ConfigureAwait(false);
    }

    private async Task SpendDisruptionAsync(HttpContext context, string ns, JsonObject pod, bool dryRun)
    {
        var budgets = ResourceCatalog.Find("policy", "v1", "poddisruptionbudgets")!;
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (JsonMeta.Metadata(pod)["labels"] is JsonObject l)
        {
            foreach (var (k, v) in l)
            {
                labels[k] = v?.ToString() ?? "";
            }
        }

        var list = await _registry.ListAsync(budgets, ns, ListOptions.Default, context.RequestAborted).ConfigureAwait(false);
        var matching = new List<JsonObject>();
        foreach (var item in list.Items)
        {
            var pdb = ObjectRegistry.Parse(item.Value);
            if (pdb["spec"]?["selector"] is not JsonObject selectorNode)
            {
                continue;
            }

            var selector = BerthJson.Deserialize<V1LabelSelector>(selectorNode);
            try
            {
                var parsed = LabelSelector.FromV1(selector);
                if (!parsed.IsEverything && parsed.Matches(labels))
                {
                    matching.Add(pdb);
                }
            }
            catch (SelectorParseException)
            {
            }
        }

        if (matching.Count == 0)
        {
            return;
        }

        if (matching.Count > 1)
        {
            throw new ApiException(Status.Failure(500, "InternalError",
                "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support."));
        }

        var budget = matching[0];
        var budgetName = JsonMeta.String(budget["metadata"], "name")!;
        var budgetStatus = budget["status"] as JsonObject;
        var generation = JsonMeta.Long(budget["metadata"], "generation") ?? 0;
        if ((JsonMeta.Long(budgetStatus, "observedGeneration") ?? 0) < generation)
        {
            throw TooManyRequests($"The disruption budget {budgetName} is still being processed by the server.");
        }

        if ((JsonMeta.Long(budgetStatus, "disruptionsAllowed") ?? 0) < 1)
        {
            throw TooManyRequests(string.Create(CultureInfo.InvariantCulture,
                $"The disruption budget {budgetName} needs {JsonMeta.Long(budgetStatus, "desiredHealthy") ?? 0} healthy pods and has {JsonMeta.Long(budgetStatus, "currentHealthy") ?? 0} currently"));
        }

        var podName = JsonMeta.String(pod["metadata"], "name")!;
        // Spend one disruption and record the pod, so the disruption controller does not count it twice.
        await _registry.GuaranteedUpdateAsync(budgets, ns, budgetName, "status", new WriteOptions { DryRun = dryRun }, (_, current) =>
        {
            var status = current["status"] as JsonObject ?? [];
            var allowed = JsonMeta.Long(status, "disruptionsAllowed") ?? 0;
            if (allowed < 1)
            {
                throw TooManyRequests($"The disruption budget {budgetName} needs more healthy pods");
            }

            status["disruptionsAllowed"] = allowed - 1;
            var disrupted = status["disruptedPods"] as JsonObject ?? [];
            disrupted[podName] = JsonMeta.Timestamp(_registry.Time.GetUtcNow());
            status["disruptedPods"] = disrupted;
            current["status"] = status;
            return current;
        }, context.RequestAborted).ConfigureAwait(false);
    }

    private static ApiException TooManyRequests(string cause) =>
        new(Status.Failure(429, "TooManyRequests", "Cannot evict pod as it would violate the pod's disruption budget.",
            new StatusDetails { Causes = [new StatusCause("DisruptionBudget", cause, null)] }));
}
