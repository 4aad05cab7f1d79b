using System.Text.Json;

namespace Berth.ApiServer.Tables;

/// <summary>One resource's table printer: its columns and how a stored object becomes a row's cells.</summary>
internal sealed record ResourceTable(IReadOnlyList<TableColumn> Columns, Func<JsonElement, DateTimeOffset, object[]> Cells);
