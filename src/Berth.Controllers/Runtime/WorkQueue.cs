namespace Berth.Controllers.Runtime;

/// <summary>
/// client-go's rate-limited work queue. A key is queued at most once (the dirty set); a key being processed is not
/// handed to a second worker: re-adds while it is processing are parked in dirty and re-queued on
/// <see cref="Done"/>. That gives "one reconcile per key at a time" and coalesces bursts of events into one sync.
/// </summary>
internal sealed class WorkQueue : IDisposable
{
    private readonly Lock _gate = new();
    private readonly Queue<string> _queue = new();
    private readonly HashSet<string> _dirty = new(StringComparer.Ordinal);
    private readonly HashSet<string> _processing = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _available = new(0);
    private readonly List<ITimer> _timers = [];
    private readonly TimeProvider _time;
    private readonly RateLimiter _limiter;
    private readonly CancellationTokenSource _shutdown = new();

    public WorkQueue(TimeProvider time, RateLimiter? limiter = null)
    {
        _time = time;
        _limiter = limiter ?? new RateLimiter(time);
    }

    public int Length
    {
        get
        {
            lock (_gate)
            {
                return _queue.Count;
            }
        }
    }

    public bool ShuttingDown => _shutdown.IsCancellationRequested;

    public void Add(string key)
    {
        lock (_gate)
        {
            if (_shutdown.IsCancellationRequested || !_dirty.Add(key) || _processing.Contains(key))
            {
                return;
            }

            _queue.Enqueue(key);
        }

        _available.Release();
    }

    /// <summary>Adds the key after <paramref name="delay"/> of (injected) time.</summary>
    public void AddAfter(string key, TimeSpan delay)
    {
        if (delay <= TimeSpan.Zero)
        {
            Add(key);
            return;
        }

        lock (_gate)
        {
            if (_shutdown.IsCancellationRequested)
            {
                return;
            }

            ITimer? timer = null;
            timer = _time.CreateTimer(
                _ =>
                {
                    lock (_gate)
                    {
                        _timers.Remove(timer!);
                    }

                    timer!.Dispose();
                    Add(key);
                },
                null,
                delay,
                Timeout.InfiniteTimeSpan);
            _timers.Add(timer);
        }
    }

    public void AddRateLimited(string key) => AddAfter(key, _limiter.When(key));

    public void Forget(string key) => _limiter.Forget(key);

    public int NumRequeues(string key) => _limiter.NumRequeues(key);

    /// <summary>Waits for the next key; null once the queue is shut down.</summary>
    public async Task<string?> GetAsync(CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _shutdown.Token);
        try
        {
            await _available.WaitAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return null;
        }

        lock (_gate)
        {
            var key = _queue.Dequeue();
            _processing.Add(key);
            _dirty.Remove(key);
            return key;
        }
    }

    public void Done(string key)
    {
        var requeue = false;
        lock (_gate)
        {
            _processing.Remove(key);
            if (_dirty.Contains(key) && !_shutdown.IsCancellationRequested)
            {
                _queue.Enqueue(key);
                requeue = true;
            }
        }

        if (requeue)
        {
            _available.Release();
        }
    }

    /// <summary>
    /// One worker (sample-controller's processNextWorkItem loop) until the queue shuts down: a key that syncs is
    /// forgotten by the rate limiter; a key whose sync throws is re-added rate-limited, so one bad object backs
    /// off instead of stopping the worker or looping hot. Done always runs, so a key added meanwhile is processed.
    /// </summary>
    public async Task RunWorkerAsync(Func<string, CancellationToken, Task> sync, CancellationToken cancellationToken)
    {
        while (await GetAsync(cancellationToken).ConfigureAwait(false) is { } key)
        {
            try
            {
                await sync(key, cancellationToken).ConfigureAwait(false);
                Forget(key);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // Shutting down mid-sync: the next start re-lists and resumes.
            }
#pragma warning disable CA1031 // any sync error is retried with backoff; it must never stop the worker
            catch (Exception)
#pragma warning restore CA1031
            {
                AddRateLimited(key);
            }
            finally
            {
                Done(key);
            }
        }
    }

    /// <summary>
    /// A controller's Run (sample-controller): <paramref name="workers"/> workers until
    /// <paramref name="cancellationToken"/> is cancelled, then the queue shuts down and the workers finish the keys
    /// they hold.
    /// </summary>
    public async Task RunWorkersAsync(int workers, Func<string, CancellationToken, Task> sync, CancellationToken cancellationToken)
    {
        var running = Enumerable.Range(0, workers)
            .Select(_ => Task.Run(() => RunWorkerAsync(sync, cancellationToken), cancellationToken)).ToList();
        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Shutting down.
        }

        ShutDown();
        await Task.WhenAll(running).ConfigureAwait(false);
    }

    public void ShutDown()
    {
        lock (_gate)
        {
            if (_shutdown.IsCancellationRequested)
            {
                return;
            }

            _shutdown.Cancel();
            foreach (var t in _timers)
            {
                t.Dispose();
            }

            _timers.Clear();
        }
    }

    public void Dispose()
    {
        ShutDown();
        _available.Dispose();
        _shutdown.Dispose();
    }
}
