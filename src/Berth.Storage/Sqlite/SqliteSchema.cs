using Microsoft.Data.Sqlite;

namespace Berth.Storage.Sqlite;

/// <summary>
/// The on-disk layout: a kine-like append-only log (one row per revision, with the previous revision so a
/// watch can return the prior value), a <c>current</c> index from key to its live revision, and a small meta
/// table. <c>application_id</c> and <c>user_version</c> mark the file as ours so a foreign or newer file is
/// refused at startup instead of being reset or misread.
/// </summary>
internal static class SqliteSchema
{
    /// <summary>"BRTH" in ASCII.</summary>
    public const long ApplicationId = 0x42525448;

    public const long Version = 1;

    public const string CreateSql = """
        CREATE TABLE log (
            revision        INTEGER PRIMARY KEY,
            key             TEXT    NOT NULL,
            create_revision INTEGER NOT NULL,
            prev_revision   INTEGER NOT NULL,
            deleted         INTEGER NOT NULL,
            value           BLOB    NOT NULL
        );
        CREATE INDEX log_key_revision ON log (key, revision);
        CREATE TABLE current (key TEXT PRIMARY KEY, revision INTEGER NOT NULL) WITHOUT ROWID;
        CREATE TABLE meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
        INSERT INTO meta (name, value) VALUES ('revision', 0), ('compact_revision', 0), ('compacted_through', 0);
        PRAGMA application_id = 1112691784;
        PRAGMA user_version = 1;
        """;

    /// <summary>
    /// Checks that the open database is ours (creating the schema in an empty file) and returns
    /// (revision, compact revision, physically compacted through).
    /// </summary>
    public static (long Revision, long CompactRevision, long CompactedThrough) Prepare(SqliteConnection connection, string path)
    {
        var applicationId = Scalar(connection, "PRAGMA application_id");
        var version = Scalar(connection, "PRAGMA user_version");
        var tables = Scalar(connection, "SELECT count(*) FROM sqlite_master");
        if (applicationId == 0 && version == 0 && tables == 0)
        {
            using var tx = connection.BeginTransaction(deferred: false);
            using var create = connection.CreateCommand();
            create.Transaction = tx;
            create.CommandText = CreateSql;
            create.ExecuteNonQuery();
            tx.Commit();
            return (0, 0, 0);
        }

        if (applicationId != ApplicationId)
        {
            throw new StoreException(StoreErrorCode.Corrupt,
                $"{path} is not a Berth database (SQLite application_id is {applicationId}, expected {ApplicationId}); refusing to use it");
        }

        if (version != Version)
        {
            throw new StoreException(StoreErrorCode.Corrupt,
                $"{path} has schema version {version}; this Berth understands version {Version}");
        }

        var revision = Meta(connection, "revision", path);
        var compact = Meta(connection, "compact_revision", path);
        var through = Meta(connection, "compacted_through", path);
        var maxLogged = Scalar(connection, "SELECT coalesce(max(revision), 0) FROM log");
        if (maxLogged > revision || compact > revision)
        {
            throw new StoreException(StoreErrorCode.Corrupt,
                $"{path} is inconsistent: meta revision {revision}, log reaches {maxLogged}, compacted to {compact}");
        }

        return (revision, compact, through);
    }

    private static long Meta(SqliteConnection connection, string name, string path)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT value FROM meta WHERE name = $name";
        command.Parameters.AddWithValue("$name", name);
        return command.ExecuteScalar() is long value
            ? value
            : throw new StoreException(StoreErrorCode.Corrupt, $"{path} is missing its \"{name}\" marker");
    }

    public static long Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
