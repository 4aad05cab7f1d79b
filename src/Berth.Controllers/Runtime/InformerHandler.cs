namespace Berth.Controllers.Runtime;

/// <summary>An <see cref="IInformerHandler{T}"/> from three delegates (any may be null).</summary>
internal sealed class InformerHandler<T>(Action<T>? onAdd, Action<T, T>? onUpdate, Action<T>? onDelete) : IInformerHandler<T>
{
    public void OnAdd(T obj) => onAdd?.Invoke(obj);

    public void OnUpdate(T oldObj, T newObj) => onUpdate?.Invoke(oldObj, newObj);

    public void OnDelete(T obj) => onDelete?.Invoke(obj);
}
