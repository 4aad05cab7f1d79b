using k8s;

namespace Berth.Controllers.Client;

/// <summary>One watch event: ADDED, MODIFIED, DELETED or BOOKMARK (ERROR is surfaced as an exception).</summary>
public readonly record struct ApiWatchEvent<T>(WatchEventType Type, T Object);
