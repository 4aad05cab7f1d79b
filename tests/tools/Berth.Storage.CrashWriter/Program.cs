using System.Text;
using Berth.Storage.Sqlite;

namespace Berth.Storage.CrashWriter;

/// <summary>
/// Usage: CrashWriter DATA_DIR write [full] | CrashWriter DATA_DIR hold.
/// "write" runs 16 concurrent writers forever and prints "ack KEY" once each write is acknowledged, so the
/// parent knows exactly which writes the store promised to keep. "hold" opens the store, prints "ready" and
/// waits, so the parent can try to open the same data dir.
/// </summary>
internal static class Program
{
    private static async Task<int> Main(string[] args)
    {
        if (args.Length < 2)
        {
            await Console.Error.WriteLineAsync("usage: CrashWriter DATA_DIR write [full] | hold");
            return 2;
        }

        var options = new SqliteStoreOptions
        {
            DataDir = args[0],
            Durability = args.Length > 2 && args[2] == "full" ? SqliteDurability.Full : SqliteDurability.Normal,
        };
        await using var store = await SqliteStore.OpenAsync(options);
        var stdout = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false)) { AutoFlush = false };
        var gate = new Lock();
        if (args[1] == "hold")
        {
            await stdout.WriteLineAsync("ready");
            await stdout.FlushAsync();
            await Task.Delay(Timeout.Infinite);
        }

        var filler = new string('x', 900);
        var writers = Enumerable.Range(0, 16).Select(w => Task.Run(async () =>
        {
            for (var i = 0; ; i++)
            {
                var key = $"/registry/configmaps/crash/w{w}-{i}";
                var value = Encoding.UTF8.GetBytes(
                    $"{{\"kind\":\"ConfigMap\",\"metadata\":{{\"name\":\"w{w}-{i}\"}},\"data\":{{\"key\":\"{key}\",\"fill\":\"{filler}\"}}}}");
                await store.CreateAsync(key, value);
                lock (gate)
                {
                    stdout.WriteLine("ack " + key);
                    stdout.Flush();
                }
            }
        })).ToArray();
        await Task.WhenAll(writers);
        return 0;
    }
}
