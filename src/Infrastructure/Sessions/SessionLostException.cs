namespace CodeInterpreter.Infrastructure.Sessions;

/// <summary>
/// The session's sandbox ended, broke the protocol or did not recover from an interrupt: its stream
/// is out of step, so the session cannot serve another call and is closed.
/// </summary>
internal sealed class SessionLostException(string message, Exception? inner = null) : Exception(message, inner);
