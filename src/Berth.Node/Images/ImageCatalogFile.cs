namespace Berth.Node.Images;

/// <summary>The user catalog file (YAML or JSON): <c>images: [{name, entrypoint, cmd, workingDir, env, stopSignal, entrypointScript}]</c>.</summary>
internal sealed class ImageCatalogFile
{
    public List<Item> Images { get; set; } = [];

    internal sealed class Item
    {
        public string? Name { get; set; }

        public List<string>? Entrypoint { get; set; }

        public List<string>? Cmd { get; set; }

        public string? WorkingDir { get; set; }

        public Dictionary<string, string>? Env { get; set; }

        public string? StopSignal { get; set; }

        public string? EntrypointScript { get; set; }

        public Dictionary<string, string>? Files { get; set; }

        public bool BusyboxApplets { get; set; }
    }
}
