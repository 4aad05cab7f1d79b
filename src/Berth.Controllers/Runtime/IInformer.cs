namespace Berth.Controllers.Runtime;

/// <summary>The untyped face of an informer, so a factory can start and await them all.</summary>
internal interface IInformer
{
    Task Synced { get; }

    Task RunAsync(CancellationToken cancellationToken);
}
