// What nearly every use case needs: the Application's shared kernel (Common), the Domain, the mediator,
// logging and options. Feature namespaces (Executions, Files, Sessions) stay explicit, so a file's
// usings still show which other features it depends on.
global using CodeInterpreter.Application.Common;
global using CodeInterpreter.Application.Common.Exceptions;
global using CodeInterpreter.Application.Common.Interfaces;
global using CodeInterpreter.Application.Common.Options;
global using CodeInterpreter.Application.Common.Validation;
global using CodeInterpreter.Domain.Executions;
global using CodeInterpreter.Domain.Files;
global using CodeInterpreter.Domain.Sessions;
global using Mediator;
global using Microsoft.Extensions.Logging;
global using Microsoft.Extensions.Options;
