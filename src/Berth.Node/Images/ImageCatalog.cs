using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Berth.Node.Runtime;
using Berth.Serialization;
using k8s.Models;

namespace Berth.Node.Images;

/// <summary>
/// Image reference → how to run it from the host filesystem (DESIGN.md "Image catalog"). Built-in entries
/// emulate the official images' entrypoints where users rely on them (postgres initdb and POSTGRES_* variables,
/// mysql/mariadb MYSQL_* variables, nginx's docroot and foreground logging, redis, busybox applets); a user file
/// adds or replaces entries. The argv follows Docker's rule (and kubelet's): <c>command</c> replaces ENTRYPOINT and
/// drops CMD; <c>args</c> replaces CMD.
/// </summary>
public sealed class ImageCatalog
{
    /// <summary>Where an entry's entrypoint script appears inside the container.</summary>
    public const string EntrypointPath = "/.berth/entrypoint.sh";

    /// <summary>Where the busybox image's applet links appear inside the container (first on PATH).</summary>
    public const string BusyboxBinPath = "/.berth/busybox";

    private static readonly Lazy<HashSet<string>> BusyboxAppletNames = new(LoadBusyboxApplets);

    internal static IReadOnlyCollection<string> BusyboxApplets => BusyboxAppletNames.Value;
    private readonly Dictionary<string, ImageEntry> _entries = new(StringComparer.Ordinal);

    public ImageCatalog(IEnumerable<ImageEntry>? entries = null)
    {
        foreach (var e in entries ?? BuiltIn())
        {
            _entries[e.Name] = e;
        }
    }

    public IReadOnlyCollection<ImageEntry> Entries => _entries.Values;

    public static ImageCatalog CreateDefault(string? userCatalogFile = null)
    {
        var catalog = new ImageCatalog();
        if (userCatalogFile is not null)
        {
            catalog.AddFile(userCatalogFile);
        }

        return catalog;
    }

    public ImageEntry? Find(string image) => _entries.GetValueOrDefault(ImageReference.Repository(image));

    public void Add(ImageEntry entry) => _entries[entry.Name] = entry;

    /// <summary>Adds the entries of a YAML or JSON catalog file (JSON is YAML, so one parser reads both).</summary>
    public void AddFile(string path)
    {
        ImageCatalogFile file;
        try
        {
            // YAML to a JSON tree (the same converter manifests go through), then the compiled contract.
            var tree = YamlToJson.ConvertSingle(File.ReadAllText(path));
            StringifyScalars(tree);
            file = tree?.Deserialize(ImageCatalogJsonContext.Default.ImageCatalogFile) ?? new ImageCatalogFile();
        }
        catch (Exception e) when (e is YamlConversionException or JsonException)
        {
            throw new FormatException($"image catalog {path}: {e.Message}", e);
        }

        foreach (var (item, index) in file.Images.Select((x, i) => (x, i)))
        {
            if (string.IsNullOrWhiteSpace(item.Name))
            {
                throw new FormatException($"image catalog {path}: images[{index}].name is required");
            }

            if (item.StopSignal is not null)
            {
                _ = ParseSignal(item.StopSignal);
            }

            Add(new ImageEntry
            {
                Name = ImageReference.Repository(item.Name),
                Entrypoint = item.Entrypoint,
                Cmd = item.Cmd,
                WorkingDir = item.WorkingDir,
                Env = item.Env ?? [],
                StopSignal = item.StopSignal ?? "SIGTERM",
                EntrypointScript = item.EntrypointScript,
                Files = item.Files ?? [],
                BusyboxApplets = item.BusyboxApplets,
            });
        }
    }

    /// <summary>
    /// Every field but <c>busyboxApplets</c> holds text: a YAML scalar such as <c>PORT: 80</c> or <c>cmd: [sleep, 3600]</c>
    /// reads as a number, so it is turned back into its text, as a string-typed YAML field would take it.
    /// </summary>
    private static void StringifyScalars(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var name in o.Select(p => p.Key).ToList())
                {
                    if (name != "busyboxApplets" && AsText(o[name]) is { } text)
                    {
                        o[name] = text;
                    }
                    else
                    {
                        StringifyScalars(o[name]);
                    }
                }

                break;
            case JsonArray a:
                for (var i = 0; i < a.Count; i++)
                {
                    if (AsText(a[i]) is { } text)
                    {
                        a[i] = text;
                    }
                    else
                    {
                        StringifyScalars(a[i]);
                    }
                }

                break;
            default:
                break;
        }
    }

    private static string? AsText(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() is JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False ? v.ToJsonString() : null;

    /// <summary>Resolves the argv and image defaults of <paramref name="container"/>.</summary>
    /// <exception cref="ContainerStartException">ErrImagePull when the image is unknown and there is nothing to run.</exception>
    public LaunchPlan Resolve(V1Container container)
    {
        var image = container.Image ?? "";
        var entry = Find(image);
        List<string> argv;
        if (container.Command is { Count: > 0 })
        {
            argv = [.. container.Command, .. container.Args ?? []];
        }
        else if (entry is null)
        {
            if (container.Args is not { Count: > 0 })
            {
                throw new ContainerStartException(ContainerReasons.ErrImagePull,
                    $"image \"{image}\" is not in Berth's image catalog and container \"{container.Name}\" has no command: " +
                    $"give the container a command, or add an entry named \"{ImageReference.Repository(image)}\" " +
                    "(entrypoint, cmd, env, workingDir) to the image catalog file");
            }

            argv = [.. container.Args];
        }
        else
        {
            IEnumerable<string> entrypoint = entry.EntrypointScript is not null ? [EntrypointPath] : entry.Entrypoint ?? [];
            IEnumerable<string> cmd = container.Args is { Count: > 0 } ? container.Args : entry.Cmd ?? [];
            argv = [.. entrypoint, .. cmd];
        }

        if (argv.Count == 0)
        {
            throw new ContainerStartException(ContainerReasons.ErrImagePull,
                $"image \"{image}\" has no entrypoint or cmd in Berth's image catalog and container \"{container.Name}\" has no command");
        }

        if (entry?.BusyboxApplets == true)
        {
            var applet = Path.GetFileName(argv[0]);
            var isHostPath = argv[0].Contains('/', StringComparison.Ordinal) && !IsBinDirectory(Path.GetDirectoryName(argv[0]));
            if (!isHostPath && BusyboxAppletNames.Value.Contains(applet))
            {
                argv = ["/bin/busybox", applet, .. argv.Skip(1)];
            }
        }

        return new LaunchPlan(image, argv, entry?.Env ?? new Dictionary<string, string>(), container.WorkingDir ?? entry?.WorkingDir,
            ParseSignal(entry?.StopSignal ?? "SIGTERM"), entry?.EntrypointScript, entry?.Files ?? new Dictionary<string, string>(),
            entry?.BusyboxApplets == true);
    }

    internal static int ParseSignal(string signal)
    {
        var s = signal.Trim().ToUpperInvariant();
        if (int.TryParse(s, out var n) && n is > 0 and < 65)
        {
            return n;
        }

        return (s.StartsWith("SIG", StringComparison.Ordinal) ? s[3..] : s) switch
        {
            "HUP" => 1,
            "INT" => 2,
            "QUIT" => 3,
            "KILL" => 9,
            "USR1" => 10,
            "USR2" => 12,
            "TERM" => 15,
            "WINCH" => 28,
            "PWR" => 30,
            _ => throw new FormatException($"unknown stop signal \"{signal}\""),
        };
    }

    private static bool IsBinDirectory(string? dir) => dir is "/bin" or "/sbin" or "/usr/bin" or "/usr/sbin" or "/usr/local/bin";

    private static HashSet<string> LoadBusyboxApplets()
    {
        try
        {
            var psi = new ProcessStartInfo("/bin/busybox", "--list") { RedirectStandardOutput = true, UseShellExecute = false };
            using var p = Process.Start(psi)!;
            var names = p.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            p.WaitForExit();
            return new HashSet<string>(names, StringComparer.Ordinal);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return [];
        }
    }

    private static string Script(string name)
    {
        using var stream = typeof(ImageCatalog).Assembly.GetManifestResourceStream($"Berth.Node.Entrypoints.{name}")
            ?? throw new InvalidOperationException($"missing embedded entrypoint {name}");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>The built-in entries (official images' Dockerfiles, emulated over Debian's packages).</summary>
    public static IEnumerable<ImageEntry> BuiltIn()
    {
        yield return new ImageEntry { Name = "busybox", Cmd = ["sh"], BusyboxApplets = true };
        yield return new ImageEntry
        {
            Name = "nginx",
            Cmd = ["nginx", "-g", "daemon off;"],
            // The official image's STOPSIGNAL: graceful shutdown.
            StopSignal = "SIGQUIT",
            Files = new Dictionary<string, string>
            {
                ["/etc/nginx/nginx.conf"] = NginxConf,
                ["/etc/nginx/conf.d/default.conf"] = NginxDefaultConf,
            },
        };
        var postgres = new ImageEntry
        {
            Name = "postgres",
            EntrypointScript = Script("postgres.sh"),
            Cmd = ["postgres"],
            // The image sets LANG=en_US.utf8; C.UTF-8 is the UTF-8 locale every Debian host has.
            Env = new Dictionary<string, string> { ["PGDATA"] = "/var/lib/postgresql/data", ["LANG"] = "C.UTF-8" },
            // The official image's STOPSIGNAL: fast shutdown.
            StopSignal = "SIGINT",
        };
        yield return postgres;
        yield return new ImageEntry
        {
            Name = "redis",
            EntrypointScript = Script("redis.sh"),
            Cmd = ["redis-server"],
            WorkingDir = "/data",
        };
        var mariadb = new ImageEntry { Name = "mariadb", EntrypointScript = Script("mariadb.sh"), Cmd = ["mariadbd"] };
        yield return mariadb;
        yield return mariadb with { Name = "mysql", Cmd = ["mysqld"] };
    }

    // The official nginx image's /etc/nginx/nginx.conf, with its log symlinks to /dev/stdout and /dev/stderr
    // written out, and Debian's www-data in place of the image's nginx user.
    private const string NginxConf = """
        user www-data;
        worker_processes auto;
        error_log /dev/stderr notice;
        pid /run/nginx.pid;
        events {
            worker_connections 1024;
        }
        http {
            include /etc/nginx/mime.types;
            default_type application/octet-stream;
            log_format main '$remote_addr - $remote_user [$time_local] "$request" '
                            '$status $body_bytes_sent "$http_referer" '
                            '"$http_user_agent" "$http_x_forwarded_for"';
            access_log /dev/stdout main;
            sendfile on;
            keepalive_timeout 65;
            include /etc/nginx/conf.d/*.conf;
        }

        """;

    private const string NginxDefaultConf = """
        server {
            listen 80;
            server_name localhost;
            location / {
                root /usr/share/nginx/html;
                index index.html index.htm;
            }
            error_page 500 502 503 504 /50x.html;
            location = /50x.html {
                root /usr/share/nginx/html;
            }
        }

        """;
}
