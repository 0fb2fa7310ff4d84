using CodeInterpreter.Application.Common.Exceptions;

namespace CodeInterpreter.Api.PythonExecutor;

/// <summary>python-executor's <c>env_vars</c>: <c>K=v</c> entries, <c>K</c> alone meaning an empty value.</summary>
public static class PyExecEnvVars
{
    /// <summary>The entries as a map; a later entry of a name wins. A missing name is refused (400).</summary>
    public static IReadOnlyDictionary<string, string> Parse(IReadOnlyList<string>? entries)
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in entries ?? [])
        {
            var equals = entry.IndexOf('=', StringComparison.Ordinal);
            var name = equals < 0 ? entry : entry[..equals];
            if (name.Length == 0)
            {
                throw new RequestValidationException("env_vars", $"env_vars entry '{entry}' has no name: use NAME=value or NAME");
            }

            env[name] = equals < 0 ? string.Empty : entry[(equals + 1)..];
        }

        return env;
    }
}
