// What nearly every adapter needs: the Application's ports and options it implements and reads,
// the Infrastructure's own options, logging and options. The adapter areas (Docker, Sessions, Files,
// Images, Executions) stay explicit, so a file's usings still show which other area it depends on.
global using CodeInterpreter.Application.Common.Interfaces;
global using CodeInterpreter.Application.Common.Options;
global using CodeInterpreter.Infrastructure.Options;
global using Microsoft.Extensions.Logging;
global using Microsoft.Extensions.Options;
