namespace Gateway.Credits;

/// <summary>Credits held for a job while it waits and runs; disposing releases them (after the job's charge, if any, is recorded).</summary>
public sealed class CreditReservation(Action release) : IDisposable
{
    private int _released;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0) release();
    }
}
