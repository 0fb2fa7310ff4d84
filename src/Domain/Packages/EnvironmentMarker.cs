using System.Diagnostics.CodeAnalysis;

namespace CodeInterpreter.Domain.Packages;

/// <summary>
/// A PEP 508 environment marker (<c>python_version &gt;= "3.8" and sys_platform == "linux"</c>): parsed once,
/// evaluated against the executor image's own environment, so a requirement meant for another Python or
/// platform is left out exactly as pip would leave it out there.
/// </summary>
public sealed class EnvironmentMarker : IEquatable<EnvironmentMarker>
{
    /// <summary>The variables PEP 508 defines (<c>extra</c> is empty for a top-level requirement, as pip has it).</summary>
    public static readonly IReadOnlySet<string> Variables = new HashSet<string>(StringComparer.Ordinal)
    {
        "os_name", "sys_platform", "platform_machine", "platform_python_implementation", "platform_release",
        "platform_system", "platform_version", "python_version", "python_full_version", "implementation_name",
        "implementation_version", "extra",
    };

    private static readonly string[] Operators = ["===", "~=", "==", "!=", "<=", ">=", "<", ">", "not in", "in"];

    private readonly Node _root;

    private EnvironmentMarker(Node root, string text)
    {
        _root = root;
        Text = text;
    }

    /// <summary>The marker, normalised (one space between tokens, strings in double quotes).</summary>
    public string Text { get; }

    /// <inheritdoc/>
    public override string ToString() => Text;

    /// <inheritdoc/>
    public bool Equals(EnvironmentMarker? other) => other is not null && Text == other.Text;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is EnvironmentMarker other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => Text.GetHashCode(StringComparison.Ordinal);

    /// <summary>Parses a marker (the text after a requirement's <c>;</c>); on failure <paramref name="error"/> says why.</summary>
    public static bool TryParse(string text, [NotNullWhen(true)] out EnvironmentMarker? marker, [NotNullWhen(false)] out string? error)
    {
        marker = null;
        var parser = new Parser(text);
        if (!parser.TryParse(out var root, out error))
        {
            return false;
        }

        marker = new EnvironmentMarker(root, root.Render(topLevel: true));
        return true;
    }

    /// <summary>
    /// Whether the marker holds in <paramref name="environment"/> (variable -> value; a variable it lacks reads
    /// as empty). Versions compare as PEP 440 versions where both sides are; otherwise as strings.
    /// </summary>
    public bool Evaluate(IReadOnlyDictionary<string, string> environment) => _root.Evaluate(environment);

    private abstract record Node
    {
        public abstract bool Evaluate(IReadOnlyDictionary<string, string> environment);

        public abstract string Render(bool topLevel);
    }

    private sealed record Either(Node Left, Node Right) : Node
    {
        public override bool Evaluate(IReadOnlyDictionary<string, string> environment) => Left.Evaluate(environment) || Right.Evaluate(environment);

        public override string Render(bool topLevel) =>
            topLevel ? $"{Left.Render(true)} or {Right.Render(true)}" : $"({Left.Render(true)} or {Right.Render(true)})";
    }

    private sealed record Both(Node Left, Node Right) : Node
    {
        public override bool Evaluate(IReadOnlyDictionary<string, string> environment) => Left.Evaluate(environment) && Right.Evaluate(environment);

        public override string Render(bool topLevel) => $"{Left.Render(false)} and {Right.Render(false)}";
    }

    private sealed record Operand(string Value, bool IsVariable)
    {
        public string Resolve(IReadOnlyDictionary<string, string> environment) =>
            IsVariable ? environment.GetValueOrDefault(Value, "") : Value;

        public override string ToString() => IsVariable ? Value : "\"" + Value + "\"";
    }

    private sealed record Comparison(Operand Left, string Operator, Operand Right) : Node
    {
        public override bool Evaluate(IReadOnlyDictionary<string, string> environment)
        {
            var left = Left.Resolve(environment);
            var right = Right.Resolve(environment);
            // As packaging does: a version clause of the right side applied to the left, where both are versions.
            if (Operator is not ("in" or "not in")
                && VersionSpecifier.TryParse(Operator + right, out var clause, out _)
                && PackageVersion.TryParse(left, out var version))
            {
                return clause.IsSatisfiedBy(version);
            }

            var order = string.CompareOrdinal(left, right);
            return Operator switch
            {
                "in" => right.Contains(left, StringComparison.Ordinal),
                "not in" => !right.Contains(left, StringComparison.Ordinal),
                "==" or "===" => order == 0,
                "!=" => order != 0,
                "<" => order < 0,
                "<=" => order <= 0,
                ">" => order > 0,
                ">=" => order >= 0,
                _ => false,  // ~= of what is not a version: undefined in PEP 508, never true
            };
        }

        public override string Render(bool topLevel) => $"{Left} {Operator} {Right}";
    }

    // marker_or := marker_and ('or' marker_and)*; marker_and := marker_expr ('and' marker_expr)*;
    // marker_expr := operand op operand | '(' marker_or ')'.
    private sealed class Parser(string text)
    {
        private int _position;

        public bool TryParse([NotNullWhen(true)] out Node? root, [NotNullWhen(false)] out string? error)
        {
            root = null;
            try
            {
                var parsed = Or();
                SkipSpace();
                if (_position < text.Length)
                {
                    throw Fail($"unexpected '{text[_position..]}'");
                }

                root = parsed;
                error = null;
                return true;
            }
            catch (FormatException ex)
            {
                error = ex.Message;
                return false;
            }
        }

        private Node Or()
        {
            var node = And();
            while (Keyword("or"))
            {
                node = new Either(node, And());
            }

            return node;
        }

        private Node And()
        {
            var node = Expression();
            while (Keyword("and"))
            {
                node = new Both(node, Expression());
            }

            return node;
        }

        private Node Expression()
        {
            SkipSpace();
            if (_position < text.Length && text[_position] == '(')
            {
                _position++;
                var inner = Or();
                SkipSpace();
                if (_position >= text.Length || text[_position] != ')')
                {
                    throw Fail("a '(' is not closed");
                }

                _position++;
                return inner;
            }

            var left = Value();
            var op = Operator();
            var right = Value();
            if (left.IsVariable == right.IsVariable)
            {
                throw Fail($"'{left} {op} {right}' must compare a marker variable with a quoted string");
            }

            return new Comparison(left, op, right);
        }

        private Operand Value()
        {
            SkipSpace();
            if (_position >= text.Length)
            {
                throw Fail("a marker variable or a quoted string is missing at the end");
            }

            var quote = text[_position];
            if (quote is '"' or '\'')
            {
                var end = text.IndexOf(quote, _position + 1);
                if (end < 0)
                {
                    throw Fail("a quoted string is not closed");
                }

                var value = text[(_position + 1)..end];
                if (value.Contains('"') || value.Contains('\''))
                {
                    throw Fail("a quoted string holds a quote");
                }

                _position = end + 1;
                return new Operand(value, IsVariable: false);
            }

            var start = _position;
            while (_position < text.Length && (char.IsAsciiLetterOrDigit(text[_position]) || text[_position] is '_' or '.'))
            {
                _position++;
            }

            var name = text[start.._position];
            // The dotted spellings of PEP 345 (os.name, python_implementation) are the same variables to pip.
            var normalised = name switch
            {
                "os.name" => "os_name",
                "sys.platform" => "sys_platform",
                "platform.version" => "platform_version",
                "platform.machine" => "platform_machine",
                "platform.python_implementation" or "python_implementation" => "platform_python_implementation",
                _ => name,
            };
            if (!Variables.Contains(normalised))
            {
                throw Fail(name.Length == 0
                    ? $"a marker variable or a quoted string is expected at '{text[start..]}'"
                    : $"'{name}' is not a marker variable (PEP 508: {string.Join(", ", Variables.Order(StringComparer.Ordinal))})");
            }

            return new Operand(normalised, IsVariable: true);
        }

        private string Operator()
        {
            SkipSpace();
            var rest = text.AsSpan(_position);
            foreach (var op in Operators)
            {
                if (op == "not in")
                {
                    if (Keyword("not"))
                    {
                        return Keyword("in") ? "not in" : throw Fail("'not' must be followed by 'in'");
                    }

                    continue;
                }

                if (op == "in")
                {
                    if (Keyword("in"))
                    {
                        return "in";
                    }

                    continue;
                }

                if (rest.StartsWith(op, StringComparison.Ordinal))
                {
                    _position += op.Length;
                    return op;
                }
            }

            throw Fail($"a comparison operator ({string.Join(", ", Operators)}) is expected at '{text[_position..]}'");
        }

        private bool Keyword(string word)
        {
            SkipSpace();
            var end = _position + word.Length;
            if (end <= text.Length && string.CompareOrdinal(text, _position, word, 0, word.Length) == 0
                && (end == text.Length || !char.IsAsciiLetterOrDigit(text[end]) && text[end] != '_'))
            {
                _position = end;
                return true;
            }

            return false;
        }

        private void SkipSpace()
        {
            while (_position < text.Length && char.IsWhiteSpace(text[_position]))
            {
                _position++;
            }
        }

        private static FormatException Fail(string message) => new("environment marker: " + message);
    }
}
