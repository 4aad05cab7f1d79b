namespace Berth.Cli.Up;

/// <summary>
/// One ordinal of a StatefulSet as <c>berth up</c> shows it. <see cref="State"/> is one of <c>-</c> (not created
/// yet), <c>Pending</c>, <c>Init:N/M</c>, <c>Running</c>, <c>Ready</c>, <c>Terminating</c>, <c>Failed</c>,
/// <c>Completed</c>; <see cref="Problem"/> marks a state that will not resolve by waiting alone.
/// </summary>
internal sealed record PodProgress(string Name, int Ordinal, string State, bool Problem);
