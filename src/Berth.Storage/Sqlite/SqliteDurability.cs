namespace Berth.Storage.Sqlite;

public enum SqliteDurability
{
    /// <summary>
    /// synchronous=NORMAL in WAL mode: a committed write survives the process being killed (kill -9), but the
    /// last commits can be lost if the machine loses power before the next WAL checkpoint (kine's setting).
    /// </summary>
    Normal,

    /// <summary>synchronous=FULL: every group commit is fsynced before its writers are acknowledged.</summary>
    Full,
}
