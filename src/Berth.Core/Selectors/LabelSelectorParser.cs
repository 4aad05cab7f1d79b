using Berth.Core.Validation;
namespace Berth.Core.Selectors;

/// <summary>
/// The label selector lexer and recursive-descent parser of apimachinery labels/selector.go, rewritten: same
/// tokens, same context rule ("in"/"notin" are identifiers where a value is expected) and the same error texts.
/// </summary>
internal sealed class LabelSelectorParser
{
    private const string BinaryOperators = "in, notin, =, ==, !=, gt, lt";

    private readonly List<(Token Tok, string Literal)> _items = [];
    private int _position;

    private enum Token
    {
        Error,
        EndOfString,
        ClosedPar,
        Comma,
        DoesNotExist,
        DoubleEquals,
        EqualsSign,
        GreaterThan,
        Identifier,
        In,
        LessThan,
        NotEquals,
        NotIn,
        OpenPar,
    }

    private static Token? Keyword(string s) => s switch
    {
        ")" => Token.ClosedPar,
        "," => Token.Comma,
        "!" => Token.DoesNotExist,
        "==" => Token.DoubleEquals,
        "=" => Token.EqualsSign,
        ">" => Token.GreaterThan,
        "in" => Token.In,
        "<" => Token.LessThan,
        "!=" => Token.NotEquals,
        "notin" => Token.NotIn,
        "(" => Token.OpenPar,
        _ => null,
    };

    public static List<LabelSelectorRequirement> Parse(string selector)
    {
        var parser = new LabelSelectorParser();
        parser.Scan(selector);
        return parser.ParseAll();
    }

    private static bool IsWhitespace(char ch) => ch is ' ' or '\t' or '\r' or '\n';

    private static bool IsSpecialSymbol(char ch) => ch is '=' or '!' or '(' or ')' or ',' or '>' or '<';

    private void Scan(string s)
    {
        var pos = 0;
        while (true)
        {
            while (pos < s.Length && IsWhitespace(s[pos]))
            {
                pos++;
            }

            if (pos >= s.Length)
            {
                _items.Add((Token.EndOfString, ""));
                return;
            }

            if (IsSpecialSymbol(s[pos]))
            {
                // Longest run of special symbols that still forms a known operator, as upstream scanSpecialSymbol.
                var start = pos;
                Token? last = null;
                var lastLen = 0;
                while (pos < s.Length && IsSpecialSymbol(s[pos]))
                {
                    var candidate = Keyword(s[start..(pos + 1)]);
                    if (candidate is not null)
                    {
                        last = candidate;
                        lastLen = pos + 1 - start;
                    }
                    else if (last is not null)
                    {
                        break;
                    }

                    pos++;
                }

                if (last is null)
                {
                    _items.Add((Token.Error, $"error expected: keyword found '{s[start..pos]}'"));
                }
                else
                {
                    pos = start + lastLen;
                    _items.Add((last.Value, s.Substring(start, lastLen)));
                }

                continue;
            }

            var idStart = pos;
            while (pos < s.Length && !IsSpecialSymbol(s[pos]) && !IsWhitespace(s[pos]))
            {
                pos++;
            }

            var literal = s[idStart..pos];
            _items.Add((Keyword(literal) ?? Token.Identifier, literal));
        }
    }

    private (Token Tok, string Literal) Lookahead(bool values)
    {
        var (tok, lit) = _items[_position];
        return (values && tok is Token.In or Token.NotIn ? Token.Identifier : tok, lit);
    }

    private (Token Tok, string Literal) Consume(bool values)
    {
        var item = Lookahead(values);
        _position++;
        return item;
    }

    private List<LabelSelectorRequirement> ParseAll()
    {
        var requirements = new List<LabelSelectorRequirement>();
        while (true)
        {
            var (tok, lit) = Lookahead(values: true);
            switch (tok)
            {
                case Token.Identifier or Token.DoesNotExist:
                    LabelSelectorRequirement r;
                    try
                    {
                        r = ParseRequirement();
                    }
                    catch (SelectorParseException e)
                    {
                        throw new SelectorParseException("unable to parse requirement: " + e.Message);
                    }

                    requirements.Add(r);
                    var (t, l) = Consume(values: true);
                    switch (t)
                    {
                        case Token.EndOfString:
                            return requirements;
                        case Token.Comma:
                            var (t2, l2) = Lookahead(values: true);
                            if (t2 is not Token.Identifier and not Token.DoesNotExist)
                            {
                                throw new SelectorParseException($"found '{l2}', expected: identifier after ','");
                            }

                            break;
                        default:
                            throw new SelectorParseException($"found '{l}', expected: ',' or 'end of string'");
                    }

                    break;
                case Token.EndOfString:
                    return requirements;
                default:
                    throw new SelectorParseException($"found '{lit}', expected: !, identifier, or 'end of string'");
            }
        }
    }

    private LabelSelectorRequirement ParseRequirement()
    {
        var (key, op) = ParseKeyAndInferOperator();
        if (op is SelectorOperator.Exists or SelectorOperator.DoesNotExist)
        {
            return LabelSelectorRequirement.Create(key, op.Value, []);
        }

        var binary = ParseOperator();
        var values = binary is SelectorOperator.In or SelectorOperator.NotIn ? ParseValues() : ParseExactValue();

        // upstream collects values in a sets.String and passes its sorted List().
        var list = values.ToList();
        list.Sort(StringComparer.Ordinal);
        return LabelSelectorRequirement.Create(key, binary, list);
    }

    private (string Key, SelectorOperator? Op) ParseKeyAndInferOperator()
    {
        SelectorOperator? op = null;
        var (tok, literal) = Consume(values: true);
        if (tok == Token.DoesNotExist)
        {
            op = SelectorOperator.DoesNotExist;
            (tok, literal) = Consume(values: true);
        }

        if (tok != Token.Identifier)
        {
            throw new SelectorParseException($"found '{literal}', expected: identifier");
        }

        var keyErrs = NameValidation.IsQualifiedName(literal);
        if (keyErrs.Count != 0)
        {
            throw new SelectorParseException(GoFormat.Invalid(null, literal, string.Join("; ", keyErrs)));
        }

        var (next, _) = Lookahead(values: true);
        if (next is Token.EndOfString or Token.Comma && op is null)
        {
            op = SelectorOperator.Exists;
        }

        return (literal, op);
    }

    private SelectorOperator ParseOperator()
    {
        var (tok, lit) = Consume(values: false);
        return tok switch
        {
            Token.In => SelectorOperator.In,
            Token.EqualsSign => SelectorOperator.Equals,
            Token.DoubleEquals => SelectorOperator.DoubleEquals,
            Token.GreaterThan => SelectorOperator.GreaterThan,
            Token.LessThan => SelectorOperator.LessThan,
            Token.NotIn => SelectorOperator.NotIn,
            Token.NotEquals => SelectorOperator.NotEquals,
            _ => throw new SelectorParseException($"found '{lit}', expected: {BinaryOperators}"),
        };
    }

    private HashSet<string> ParseValues()
    {
        var (tok, lit) = Consume(values: true);
        if (tok != Token.OpenPar)
        {
            throw new SelectorParseException($"found '{lit}' expected: '('");
        }

        (tok, lit) = Lookahead(values: true);
        switch (tok)
        {
            case Token.Identifier or Token.Comma:
                var s = ParseIdentifiersList();
                if (Consume(values: true).Tok != Token.ClosedPar)
                {
                    // upstream reports the literal seen before the list, not the offending token
                    throw new SelectorParseException($"found '{lit}', expected: ')'");
                }

                return s;
            case Token.ClosedPar:
                Consume(values: true);
                return new HashSet<string>(StringComparer.Ordinal) { "" };
            default:
                throw new SelectorParseException($"found '{lit}', expected: ',', ')' or identifier");
        }
    }

    private HashSet<string> ParseIdentifiersList()
    {
        var s = new HashSet<string>(StringComparer.Ordinal);
        while (true)
        {
            var (tok, lit) = Consume(values: true);
            switch (tok)
            {
                case Token.Identifier:
                    s.Add(lit);
                    var (tok2, lit2) = Lookahead(values: true);
                    switch (tok2)
                    {
                        case Token.Comma:
                            continue;
                        case Token.ClosedPar:
                            return s;
                        default:
                            throw new SelectorParseException($"found '{lit2}', expected: ',' or ')'");
                    }

                case Token.Comma:
                    if (s.Count == 0)
                    {
                        s.Add("");
                    }

                    var (next, _) = Lookahead(values: true);
                    if (next == Token.ClosedPar)
                    {
                        s.Add("");
                        return s;
                    }

                    if (next == Token.Comma)
                    {
                        s.Add("");
                    }

                    break;
                default:
                    throw new SelectorParseException($"found '{lit}', expected: ',', or identifier");
            }
        }
    }

    private HashSet<string> ParseExactValue()
    {
        var s = new HashSet<string>(StringComparer.Ordinal);
        var (tok, _) = Lookahead(values: true);
        if (tok is Token.EndOfString or Token.Comma)
        {
            s.Add("");
            return s;
        }

        var (t, lit) = Consume(values: true);
        if (t == Token.Identifier)
        {
            s.Add(lit);
            return s;
        }

        throw new SelectorParseException($"found '{lit}', expected: identifier");
    }
}
