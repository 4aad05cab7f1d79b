namespace Berth.Core.Selectors;

/// <summary>One term of a field selector: <c>field=value</c>, <c>field==value</c> or <c>field!=value</c>.</summary>
public sealed record FieldSelectorRequirement(string Field, SelectorOperator Operator, string Value)
{
    /// <summary>
    /// Upstream hasTerm/notHasTerm: a missing field reads as "" (fields.Set.Get), so <c>x!=v</c> matches it.
    /// </summary>
    public bool Matches(Func<string, string?> fieldValue)
    {
        var actual = fieldValue(Field) ?? "";
        var equal = string.Equals(actual, Value, StringComparison.Ordinal);
        return Operator == SelectorOperator.NotEquals ? !equal : equal;
    }

    /// <summary>Upstream hasTerm.String(): '=' (even for '=='), '!=', value escaped.</summary>
    public override string ToString() =>
        Field + (Operator == SelectorOperator.NotEquals ? "!=" : "=") + FieldSelector.EscapeValue(Value);
}
