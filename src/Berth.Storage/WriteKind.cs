namespace Berth.Storage;

internal enum WriteKind
{
    Create,
    Update,
    Delete,
}
