using CodeInterpreter.ClientGenerator;

// Usage: CodeInterpreter.ClientGenerator <openapi.json> <output.cs> <namespace>
if (args.Length != 3)
{
    await Console.Error.WriteLineAsync("usage: CodeInterpreter.ClientGenerator <openapi.json> <output.cs> <namespace>");
    return 2;
}

var code = await CSharpClientGeneration.GenerateAsync(args[0], args[2]);
var output = Path.GetFullPath(args[1]);
Directory.CreateDirectory(Path.GetDirectoryName(output)!);
await File.WriteAllTextAsync(output, code);
Console.WriteLine($"C# client written to {output}");
return 0;
