using Microsoft.Data.Sqlite;

namespace Gateway.Storage;

/// <summary>One open connection, optionally inside a write transaction, with parameterised helpers. Dispose it
/// promptly: the connection goes back to the pool.</summary>
public sealed class SqliteSession : IDisposable
{
    private readonly SqliteConnection _connection;
    private readonly SqliteTransaction? _transaction;

    internal SqliteSession(SqliteConnection connection, bool write)
    {
        _connection = connection;
        // IMMEDIATE (not deferred): take the write lock up front, so two writers never deadlock upgrading a read lock.
        _transaction = write ? connection.BeginTransaction(deferred: false) : null;
    }

    public int Execute(string sql, params ReadOnlySpan<(string Name, object? Value)> parameters)
    {
        using var command = Command(sql, parameters);
        return command.ExecuteNonQuery();
    }

    public object? Scalar(string sql, params ReadOnlySpan<(string Name, object? Value)> parameters)
    {
        using var command = Command(sql, parameters);
        var value = command.ExecuteScalar();
        return value is DBNull ? null : value;
    }

    public List<T> Query<T>(string sql, Func<SqliteDataReader, T> read, params ReadOnlySpan<(string Name, object? Value)> parameters)
    {
        using var command = Command(sql, parameters);
        using var reader = command.ExecuteReader();
        var rows = new List<T>();
        while (reader.Read()) rows.Add(read(reader));
        return rows;
    }

    public void Commit() =>
        (_transaction ?? throw new InvalidOperationException("A read session has no transaction to commit.")).Commit();

    private SqliteCommand Command(string sql, ReadOnlySpan<(string Name, object? Value)> parameters)
    {
        var command = _connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = _transaction;
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        return command;
    }

    public void Dispose()
    {
        _transaction?.Dispose();
        _connection.Dispose();
    }
}
