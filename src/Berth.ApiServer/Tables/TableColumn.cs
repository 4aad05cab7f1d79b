namespace Berth.ApiServer.Tables;

/// <summary>A meta.k8s.io/v1 TableColumnDefinition. Priority 0 columns show by default, 1 with -o wide.</summary>
internal sealed record TableColumn(string Name, string Type, string Format, int Priority, string Description);
