namespace Berth.Controllers.Tests.Fakes;

/// <summary>One recorded client call (sample-controller fixture style): verb, resource plural, namespace, name, subresource.</summary>
public sealed record FakeAction(string Verb, string Resource, string? Namespace, string Name, string? Subresource = null)
{
    public override string ToString() =>
        $"{Verb} {Resource}{(Subresource is null ? "" : "/" + Subresource)} {(Namespace is null ? "" : Namespace + "/")}{Name}";
}
