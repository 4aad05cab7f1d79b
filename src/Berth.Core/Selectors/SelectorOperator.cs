namespace Berth.Core.Selectors;

/// <summary>The operators of apimachinery's <c>selection.Operator</c>, in its spelling.</summary>
public enum SelectorOperator
{
    Equals,
    DoubleEquals,
    NotEquals,
    In,
    NotIn,
    Exists,
    DoesNotExist,
    GreaterThan,
    LessThan,
}
