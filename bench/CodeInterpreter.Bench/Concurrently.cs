namespace CodeInterpreter.Bench;

internal static class Concurrently
{
    /// <summary>
    /// Runs <paramref name="work"/> for items 0 .. <paramref name="count"/> - 1 on <paramref name="workers"/>
    /// loops, each taking the next item as soon as its last one ended (a closed loop, like a client
    /// that sends again when answered).
    /// </summary>
    public static async Task RunAsync(int count, int workers, Func<int, Task> work)
    {
        var next = -1;
        var loops = Enumerable.Range(0, workers).Select(async _ =>
        {
            int item;
            while ((item = Interlocked.Increment(ref next)) < count)
            {
                await work(item).ConfigureAwait(false);
            }
        });
        await Task.WhenAll(loops).ConfigureAwait(false);
    }
}
