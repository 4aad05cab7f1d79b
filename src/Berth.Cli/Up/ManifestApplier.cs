using System.Text.Json;
using Berth.Cli.Daemon;
using Berth.Controllers.Client;

namespace Berth.Cli.Up;

/// <summary>
/// Create-or-update like <c>kubectl apply</c>, done as server-side apply with field manager <c>berth-up</c>. It
/// forces conflicts: the manifest is what the user asked for, as <c>kubectl apply</c> (client-side) would overwrite
/// a <c>kubectl scale</c> too. Each object is reported as kubectl does: created, configured or unchanged.
/// </summary>
internal static class ManifestApplier
{
    public const string FieldManager = "berth-up";

    public static async Task ApplyAsync(BerthApi api, IReadOnlyList<Manifest> manifests, TextWriter output, CancellationToken cancellationToken)
    {
        foreach (var m in manifests)
        {
            try
            {
                string? before;
                using (var live = await api.GetAsync(m.Path, cancellationToken).ConfigureAwait(false))
                {
                    before = ResourceVersion(live);
                }

                var (applied, created) = await api.ApplyAsync(m.Path, System.Text.Encoding.UTF8.GetBytes(m.Object.ToJsonString()), FieldManager, force: true,
                    cancellationToken).ConfigureAwait(false);
                using (applied)
                {
                    var outcome = created ? "created" : ResourceVersion(applied) == before ? "unchanged" : "configured";
                    await output.WriteLineAsync($"{m.DisplayName} {outcome}").ConfigureAwait(false);
                }
            }
            catch (ApiException e)
            {
                // kubectl's shape: Error from server (Reason): error when applying ... from "FILE": message.
                throw new ManifestException($"Error from server ({e.Reason}): error when applying {m.DisplayName}"
                    + (m.Namespace is null ? "" : $" in namespace {m.Namespace}") + $" from \"{m.Source}\": {e.Message}");
            }
        }
    }

    private static string? ResourceVersion(JsonDocument? doc) =>
        doc is not null && doc.RootElement.TryGetProperty("metadata", out var meta) && meta.TryGetProperty("resourceVersion", out var rv)
            ? rv.GetString()
            : null;
}
