using CodeInterpreter.Domain.Files;

namespace CodeInterpreter.Domain.Tests.Files;

public sealed class StoredFileIdTests
{
    [Test]
    public void New_ids_are_32_lowercase_hex_digits_and_distinct()
    {
        var ids = Enumerable.Range(0, 1000).Select(_ => StoredFileId.New()).ToList();

        ids.Should().OnlyContain(id => StoredFileId.IsWellFormed(id));
        ids.Should().AllSatisfy(id => id.Should().MatchRegex("^[0-9a-f]{32}$"));
        ids.Should().OnlyHaveUniqueItems();
    }

    [TestCase(null)]
    [TestCase("")]
    [TestCase("..")]
    [TestCase("../etc")]
    [TestCase("ABC")]
    [TestCase("0123456789ABCDEF0123456789ABCDEF")]
    [TestCase("0123456789abcdef0123456789abcdeg")]
    [TestCase("0123456789abcdef0123456789abcdef0")]
    [TestCase("0123456789abcdef0123456789abcde")]
    [TestCase("0123456789abcdef/123456789abcdef")]
    public void Anything_else_is_not_well_formed(string? id)
    {
        StoredFileId.IsWellFormed(id).Should().BeFalse();
    }
}
