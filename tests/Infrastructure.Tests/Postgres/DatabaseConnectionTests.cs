using CodeInterpreter.Infrastructure.Postgres;

namespace CodeInterpreter.Infrastructure.Tests.Postgres;

[TestFixture]
public sealed class DatabaseConnectionTests
{
    [Test]
    public void A_url_gives_host_port_database_user_and_password()
    {
        var connection = DatabaseConnection.Parse("postgres://app:s3cret@db.internal:6432/state");

        connection.Host.Should().Be("db.internal");
        connection.Port.Should().Be(6432);
        connection.Database.Should().Be("state");
        connection.Username.Should().Be("app");
        connection.Password.Should().Be("s3cret");
    }

    [Test]
    public void A_url_without_a_port_uses_5432_and_escaped_characters_are_decoded()
    {
        var connection = DatabaseConnection.Parse("postgresql://app%40corp:p%3Ass%2Fw%40rd@127.0.0.1/my%20db");

        connection.Port.Should().Be(5432);
        connection.Username.Should().Be("app@corp");
        connection.Password.Should().Be("p:ss/w@rd");
        connection.Database.Should().Be("my db");
    }

    [Test]
    public void A_urls_query_sets_further_npgsql_settings()
    {
        var connection = DatabaseConnection.Parse("postgres://app:pw@127.0.0.1/state?sslmode=require&Maximum%20Pool%20Size=7");

        connection.SslMode.Should().Be(Npgsql.SslMode.Require);
        connection.MaxPoolSize.Should().Be(7);
    }

    [Test]
    public void An_npgsql_connection_string_is_accepted_as_it_is()
    {
        var connection = DatabaseConnection.Parse("Host=127.0.0.1;Port=6000;Database=state;Username=app;Password=pw");

        connection.Host.Should().Be("127.0.0.1");
        connection.Port.Should().Be(6000);
        connection.Database.Should().Be("state");
        connection.Password.Should().Be("pw");
    }

    [TestCase("postgres://app:pw@127.0.0.1/state")]
    [TestCase("Host=127.0.0.1;Database=state;Username=app;Password=pw")]
    public void Gssapi_encryption_is_not_tried_unless_asked_for(string value)
    {
        DatabaseConnection.Parse(value).GssEncryptionMode.Should().Be(Npgsql.GssEncryptionMode.Disable);
    }

    [TestCase("postgres://app:pw@127.0.0.1/state?GSS%20Encryption%20Mode=prefer", Npgsql.GssEncryptionMode.Prefer)]
    [TestCase("postgres://app:pw@127.0.0.1/state?GSS%20Encryption%20Mode=require", Npgsql.GssEncryptionMode.Require)]
    [TestCase("Host=127.0.0.1;Database=state;gss encryption mode=prefer", Npgsql.GssEncryptionMode.Prefer)]
    [TestCase("Host=127.0.0.1;Database=state;GSS Encryption Mode=Require", Npgsql.GssEncryptionMode.Require)]
    public void Gssapi_encryption_the_operator_asks_for_is_kept(string value, Npgsql.GssEncryptionMode expected)
    {
        DatabaseConnection.Parse(value).GssEncryptionMode.Should().Be(expected);
    }

    [TestCase("mysql://app:topsecret@127.0.0.1/state", "scheme")]
    [TestCase("postgres://app:topsecret@127.0.0.1/", "no database")]
    [TestCase("Password=topsecret;Database=state", "no host")]
    [TestCase("Host=127.0.0.1;Password=topsecret;Bogus=1", "neither a URL nor a connection string")]
    [TestCase("postgres://app:topsecret@127.0.0.1/state?bogus=1", "'bogus'")]
    public void What_is_wrong_is_said_without_the_password(string value, string reason)
    {
        var parse = () => DatabaseConnection.Parse(value);

        parse.Should().Throw<FormatException>()
            .WithMessage($"DATABASE_URL must be *{reason}*")
            .Which.Message.Should().NotContain("topsecret");
    }

    [Test]
    public void The_description_names_where_the_database_is_but_not_who_logs_in()
    {
        var described = DatabaseConnection.Describe(DatabaseConnection.Parse("postgres://app:topsecret@db:5433/state"));

        described.Should().Be("db:5433/state");
    }
}
