namespace Berth.Controllers.Runtime;

/// <summary>Callbacks an informer delivers, in the order it applied the changes to its cache.</summary>
internal interface IInformerHandler<in T>
{
    void OnAdd(T obj);

    void OnUpdate(T oldObj, T newObj);

    void OnDelete(T obj);
}
