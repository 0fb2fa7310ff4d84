namespace CodeInterpreter.Api.Hosting;

/// <summary>
/// A configuration value the service cannot start with. Its message is one line that names the
/// variable and the rule; start-up prints it and exits with code 1.
/// </summary>
internal sealed class InvalidConfigurationException(string message, Exception? inner = null) : Exception(message, inner);
