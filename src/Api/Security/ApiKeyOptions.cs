using System.ComponentModel.DataAnnotations;
using System.Security.Cryptography;
using System.Text;

namespace CodeInterpreter.Api.Security;

/// <summary>Access control: who may call the service.</summary>
public sealed class ApiKeyOptions
{
    /// <summary>
    /// Comma-separated API keys. Set: every endpoint but <c>GET /health</c> requires
    /// <c>Authorization: Bearer &lt;key&gt;</c>. Unset: the service is open to anyone who can reach it.
    /// </summary>
    [Microsoft.Extensions.Configuration.ConfigurationKeyName("API_KEYS")]
    [RegularExpression(@"^\s*([^\s,]{16,}\s*(,\s*[^\s,]{16,}\s*)*)?$",
        ErrorMessage = "API_KEYS must be comma-separated keys of at least 16 characters each, without spaces.")]
    public string Keys { get; set; } = string.Empty;

    /// <summary>The SHA-256 of each key: what requests are compared against (in constant time).</summary>
    public IReadOnlyList<byte[]> KeyHashes() =>
        [.. Keys.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(Hash)];

    /// <summary>The SHA-256 of <paramref name="key"/> (UTF-8).</summary>
    public static byte[] Hash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));

    /// <summary>The owner id of a key: stable, and not the key itself.</summary>
    public static string OwnerOf(byte[] keyHash) => "key-" + Convert.ToHexStringLower(keyHash)[..16];
}
