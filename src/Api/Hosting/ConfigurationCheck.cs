using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace CodeInterpreter.Api.Hosting;

/// <summary>
/// Binds and validates every option before the host starts, so an invalid value stops start-up as
/// one <see cref="InvalidConfigurationException"/> instead of a host failure logged with its stack.
/// </summary>
internal static partial class ConfigurationCheck
{
    /// <summary>Runs every <c>ValidateOnStart</c> validation now.</summary>
    public static void Run(IServiceProvider services)
    {
        try
        {
            services.GetRequiredService<IStartupValidator>().Validate();
        }
        catch (Exception ex) when (ex is OptionsValidationException or AggregateException or InvalidOperationException)
        {
            // InvalidOperationException here is the binder's: a value that is not of the option's type.
            throw new InvalidConfigurationException(Describe(ex), ex);
        }
    }

    private static string Describe(Exception ex) => ex switch
    {
        AggregateException aggregate => string.Join(" ", aggregate.Flatten().InnerExceptions.Select(Describe)),
        OptionsValidationException validation => string.Join(" ", validation.Failures.Select(OwnMessage)),
        _ => ConversionFailure().Match(ex.Message) is { Success: true } match
            ? $"{match.Groups["name"].Value} must be {Expected(match.Groups["type"].Value)}, not '{match.Groups["value"].Value}'."
            : OneLine(ex.Message),
    };

    private static string Expected(string type) => type switch
    {
        "System.Int32" or "System.Int64" => "a whole number",
        "System.Double" or "System.Decimal" => "a number",
        "System.Boolean" => "true or false",
        _ => $"a {type}",
    };

    // Data annotations report "DataAnnotation validation failed for 'X' members: 'Y' with the error: '<ours>'.";
    // the operator needs only ours, which names the variable.
    private static string OwnMessage(string failure) =>
        DataAnnotationFailure().Match(failure) is { Success: true } match ? match.Groups["message"].Value : OneLine(failure);

    private static string OneLine(string text) => text.ReplaceLineEndings(" ");

    // The binder's words: "Failed to convert configuration value 'abc' at 'MAX_EXEC_TIMEOUT_MS' to type 'System.Int32'."
    [GeneratedRegex(@"^Failed to convert configuration value '(?<value>.*)' at '(?<name>[^']*)' to type '(?<type>[^']*)'\.$", RegexOptions.Singleline)]
    private static partial Regex ConversionFailure();

    [GeneratedRegex(@"^DataAnnotation validation failed for '[^']*' members: '[^']*' with the error: '(?<message>.*)'\.$", RegexOptions.Singleline)]
    private static partial Regex DataAnnotationFailure();
}
