using System.Globalization;
using System.Security.Cryptography;
using Berth.Node.Runtime;

namespace Berth.Node.Volumes;

/// <summary>
/// kubelet's AtomicWriter (pkg/volume/util/atomic_writer.go) for configMap, secret, downwardAPI and projected
/// volumes: the files live in a timestamped directory <c>..2006_01_02_15_04_05.NNN</c>, <c>..data</c> is a symlink to
/// it, and every top-level entry the user sees is a symlink through <c>..data</c>. An update writes a new timestamped
/// directory and swaps <c>..data</c> with one rename(2), so a reader in the pod sees the old set or the new set of
/// files, never a mix.
/// </summary>
internal static class AtomicWriter
{
    private const string DataLink = "..data";

    /// <summary>Writes <paramref name="payload"/> (relative path → content and mode) into <paramref name="directory"/>.</summary>
    public static void Write(string directory, IReadOnlyDictionary<string, VolumeFile> payload, TimeProvider time)
    {
        foreach (var path in payload.Keys)
        {
            CheckPath(path);
        }

        Directory.CreateDirectory(directory);
        File.SetUnixFileMode(directory, (UnixFileMode)0b111_101_101);
        var dataLink = Path.Combine(directory, DataLink);
        var oldTarget = new FileInfo(dataLink).LinkTarget;

        var stamp = time.GetUtcNow().UtcDateTime.ToString("yyyy_MM_dd_HH_mm_ss", CultureInfo.InvariantCulture);
        var name = $"..{stamp}.{RandomNumberGenerator.GetInt32(1_000_000_000).ToString("D9", CultureInfo.InvariantCulture)}";
        var target = Path.Combine(directory, name);
        Directory.CreateDirectory(target);
        File.SetUnixFileMode(target, (UnixFileMode)0b111_101_101);
        foreach (var (path, file) in payload)
        {
            var full = Path.Combine(target, path);
            var parent = Path.GetDirectoryName(full)!;
            if (!Directory.Exists(parent))
            {
                Directory.CreateDirectory(parent);
                File.SetUnixFileMode(parent, (UnixFileMode)0b111_101_101);
            }

            File.WriteAllBytes(full, file.Content);
            File.SetUnixFileMode(full, (UnixFileMode)(file.Mode & 0b111_111_111));
        }

        // The swap: a new symlink renamed over ..data (rename replaces atomically).
        var tmpLink = Path.Combine(directory, DataLink + "_tmp");
        if (Path.Exists(tmpLink) || new FileInfo(tmpLink).LinkTarget is not null)
        {
            File.Delete(tmpLink);
        }

        File.CreateSymbolicLink(tmpLink, name);
        if (LinuxNative.rename(tmpLink, dataLink) != 0)
        {
            LinuxNative.ThrowLastError($"rename {tmpLink}");
        }

        // User-visible entries: one symlink per top-level name; names no longer in the payload go.
        var topLevel = payload.Keys.Select(p => p.Split('/')[0]).ToHashSet(StringComparer.Ordinal);
        foreach (var entry in topLevel)
        {
            var link = Path.Combine(directory, entry);
            if (new FileInfo(link).LinkTarget is null)
            {
                File.CreateSymbolicLink(link, Path.Combine(DataLink, entry));
            }
        }

        foreach (var existing in Directory.EnumerateFileSystemEntries(directory))
        {
            var entry = Path.GetFileName(existing);
            if (!entry.StartsWith("..", StringComparison.Ordinal) && !topLevel.Contains(entry))
            {
                File.Delete(existing);
            }
        }

        if (oldTarget is not null && oldTarget != name && Directory.Exists(Path.Combine(directory, oldTarget)))
        {
            Directory.Delete(Path.Combine(directory, oldTarget), recursive: true);
        }
    }

    /// <summary>upstream validatePath: relative, no '..' element, not starting with '..'.</summary>
    private static void CheckPath(string path)
    {
        if (path.Length == 0 || path.StartsWith('/') || path.StartsWith("..", StringComparison.Ordinal)
            || path.Split('/').Any(p => p == ".." || p.Length == 0))
        {
            throw new InvalidDataException($"invalid path {path}: must be relative and may not contain '..'");
        }
    }
}
