using System.Text;

namespace Berth.Node.Pods;

/// <summary>
/// Kubernetes' <c>$(VAR_NAME)</c> expansion for env values, command and args (third_party/forked/golang/expansion):
/// a defined variable is replaced, <c>$$</c> escapes to a literal <c>$</c>, an undefined reference is left as written.
/// </summary>
internal static class VariableExpansion
{
    public static string Expand(string input, Func<string, string?> lookup)
    {
        if (!input.Contains('$', StringComparison.Ordinal))
        {
            return input;
        }

        var sb = new StringBuilder(input.Length);
        for (var i = 0; i < input.Length; i++)
        {
            if (input[i] != '$' || i + 1 >= input.Length)
            {
                sb.Append(input[i]);
                continue;
            }

            var next = input[i + 1];
            if (next == '$')
            {
                sb.Append('$');
                i++;
            }
            else if (next == '(')
            {
                var close = input.IndexOf(')', i + 2);
                if (close < 0)
                {
                    // An unclosed reference is kept literally.
                    sb.Append(input, i, input.Length - i);
                    break;
                }

                var name = input[(i + 2)..close];
                sb.Append(lookup(name) ?? $"$({name})");
                i = close;
            }
            else
            {
                sb.Append('$').Append(next);
                i++;
            }
        }

        return sb.ToString();
    }
}
