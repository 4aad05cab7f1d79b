using Berth.Node.Images;
using Berth.Node.Runtime;
using k8s.Models;

namespace Berth.Node.Tests.Images;

public sealed class ImageCatalogTests
{
    private readonly ImageCatalog _catalog = new();

    [Theory]
    [InlineData("postgres", "postgres")]
    [InlineData("postgres:16-alpine", "postgres")]
    [InlineData("docker.io/library/nginx:1.27@sha256:abcd", "nginx")]
    [InlineData("localhost:5000/team/app:v1", "team/app")]
    [InlineData("quay.io/org/Redis", "org/redis")]
    [InlineData("bitnami/redis:7", "bitnami/redis")]
    public void Repository_drops_registry_tag_digest_and_library(string image, string expected) =>
        Assert.Equal(expected, ImageReference.Repository(image));

    [Fact]
    public void Command_replaces_the_entrypoint_and_drops_cmd_while_args_replace_cmd()
    {
        var withArgs = _catalog.Resolve(new V1Container { Name = "r", Image = "redis:7", Args = ["--appendonly", "yes"] });
        Assert.Equal([ImageCatalog.EntrypointPath, "--appendonly", "yes"], withArgs.Argv);
        Assert.Equal("/data", withArgs.WorkingDir);

        var withCommand = _catalog.Resolve(new V1Container { Name = "r", Image = "redis:7", Command = ["redis-server"], Args = ["--port", "7000"] });
        Assert.Equal(["redis-server", "--port", "7000"], withCommand.Argv);

        var defaults = _catalog.Resolve(new V1Container { Name = "p", Image = "postgres:16" });
        Assert.Equal([ImageCatalog.EntrypointPath, "postgres"], defaults.Argv);
        Assert.Equal(2, defaults.StopSignal); // SIGINT, the official image's STOPSIGNAL
        Assert.Equal(3, _catalog.Resolve(new V1Container { Name = "n", Image = "nginx" }).StopSignal); // SIGQUIT
    }

    [Fact]
    public void Busybox_commands_run_through_busybox_applets()
    {
        var plan = _catalog.Resolve(new V1Container { Name = "b", Image = "busybox:1.36", Command = ["sleep", "3600"] });
        Assert.Equal(["/bin/busybox", "sleep", "3600"], plan.Argv);
        Assert.True(plan.BusyboxApplets);
        var shell = _catalog.Resolve(new V1Container { Name = "b", Image = "busybox" });
        Assert.Equal(["/bin/busybox", "sh"], shell.Argv);
    }

    [Fact]
    public void An_unknown_image_runs_its_command_directly_and_without_one_is_ErrImagePull()
    {
        var plan = _catalog.Resolve(new V1Container { Name = "x", Image = "example.com/tool:1", Command = ["/usr/bin/env"] });
        Assert.Equal(["/usr/bin/env"], plan.Argv);

        var e = Assert.Throws<ContainerStartException>(() => _catalog.Resolve(new V1Container { Name = "x", Image = "example.com/tool:1" }));
        Assert.Equal("ErrImagePull", e.Reason);
        Assert.Contains("\"tool\"", e.Message, StringComparison.Ordinal);
        Assert.Contains("image catalog file", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_user_catalog_file_adds_entries_in_yaml_or_json()
    {
        var yaml = Path.GetTempFileName();
        var json = Path.GetTempFileName();
        try
        {
            File.WriteAllText(yaml, """
                images:
                - name: example.com/team/app:latest
                  entrypoint: [/usr/bin/python3, -m, http.server]
                  cmd: ["8080"]
                  workingDir: /srv
                  env: {MODE: prod}
                  stopSignal: SIGINT
                """);
            File.WriteAllText(json, """{"images": [{"name": "tool", "cmd": ["/bin/true"]}]}""");
            var catalog = ImageCatalog.CreateDefault(yaml);
            catalog.AddFile(json);
            var plan = catalog.Resolve(new V1Container { Name = "a", Image = "example.com/team/app:v2" });
            Assert.Equal(["/usr/bin/python3", "-m", "http.server", "8080"], plan.Argv);
            Assert.Equal("/srv", plan.WorkingDir);
            Assert.Equal("prod", plan.ImageEnv["MODE"]);
            Assert.Equal(2, plan.StopSignal);
            Assert.Equal(["/bin/true"], catalog.Resolve(new V1Container { Name = "t", Image = "tool" }).Argv);
            Assert.NotNull(catalog.Find("postgres"));
        }
        finally
        {
            File.Delete(yaml);
            File.Delete(json);
        }
    }

    [Fact]
    public void A_catalog_file_entry_without_a_name_is_a_clear_error()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, "images:\n- cmd: [x]\n");
            var e = Assert.Throws<FormatException>(() => ImageCatalog.CreateDefault(path));
            Assert.Contains("images[0].name is required", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Numbers_and_booleans_in_text_fields_of_a_catalog_file_read_as_their_text()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, """
                images:
                - name: app
                  entrypoint: [/bin/sleep]
                  cmd: [3600]
                  env: {PORT: 80, DEBUG: true, RATIO: 1.5}
                  busyboxApplets: false
                """);
            var plan = ImageCatalog.CreateDefault(path).Resolve(new V1Container { Name = "a", Image = "app" });
            Assert.Equal(["/bin/sleep", "3600"], plan.Argv);
            Assert.Equal("80", plan.ImageEnv["PORT"]);
            Assert.Equal("true", plan.ImageEnv["DEBUG"]);
            Assert.Equal("1.5", plan.ImageEnv["RATIO"]);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void An_unknown_field_or_broken_yaml_in_a_catalog_file_is_a_clear_error()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, "images:\n- name: app\n  entrypont: [/bin/true]\n");
            var unknown = Assert.Throws<FormatException>(() => ImageCatalog.CreateDefault(path));
            Assert.Contains("entrypont", unknown.Message, StringComparison.Ordinal);

            File.WriteAllText(path, "images: [\n");
            var broken = Assert.Throws<FormatException>(() => ImageCatalog.CreateDefault(path));
            Assert.StartsWith("image catalog " + path, broken.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
