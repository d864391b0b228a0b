using Microsoft.Data.Sqlite;

namespace Gateway.Storage;

/// <summary>One open connection, optionally inside a write transaction, with parameterised helpers. Dispose it
/// promptly: the connection goes back to the pool. A database that cannot be used (locked past the busy timeout, full,
/// unreadable) surfaces as <see cref="StorageUnavailableException"/>.</summary>
public sealed class SqliteSession : IDisposable
{
    private readonly SqliteConnection _connection;
    private readonly SqliteTransaction? _transaction;

    internal SqliteSession(SqliteConnection connection, bool write)
    {
        _connection = connection;
        try
        {
            // IMMEDIATE (not deferred): take the write lock up front, so two writers never deadlock upgrading a read lock.
            _transaction = write ? Guard(() => connection.BeginTransaction(deferred: false)) : null;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    public int Execute(string sql, params ReadOnlySpan<(string Name, object? Value)> parameters)
    {
        using var command = Command(sql, parameters);
        return Guard(command.ExecuteNonQuery);
    }

    public object? Scalar(string sql, params ReadOnlySpan<(string Name, object? Value)> parameters)
    {
        using var command = Command(sql, parameters);
        var value = Guard(command.ExecuteScalar);
        return value is DBNull ? null : value;
    }

    public List<T> Query<T>(string sql, Func<SqliteDataReader, T> read, params ReadOnlySpan<(string Name, object? Value)> parameters)
    {
        using var command = Command(sql, parameters);
        return Guard(() =>
        {
            using var reader = command.ExecuteReader();
            var rows = new List<T>();
            while (reader.Read()) rows.Add(read(reader));
            return rows;
        });
    }

    public void Commit() =>
        Guard(() =>
        {
            (_transaction ?? throw new InvalidOperationException("A read session has no transaction to commit.")).Commit();
            return true;
        });

    private static T Guard<T>(Func<T> statement)
    {
        try
        {
            return statement();
        }
        catch (SqliteException e) when (StorageUnavailableException.IsFault(e))
        {
            throw StorageUnavailableException.Of(e);
        }
    }

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
