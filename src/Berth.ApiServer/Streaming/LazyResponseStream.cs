using Microsoft.AspNetCore.Http;

namespace Berth.ApiServer.Streaming;

/// <summary>
/// A write-only view of the response body that starts a 200 with the given content type on the first write and
/// flushes every write (a followed log reaches the client line by line). Until the first write the handler can
/// still answer with an error Status instead.
/// </summary>
internal sealed class LazyResponseStream : AsyncStream
{
    private readonly HttpContext _context;
    private readonly string _contentType;

    public LazyResponseStream(HttpContext context, string contentType)
    {
        _context = context;
        _contentType = contentType;
    }

    public override bool CanRead => false;

    public override bool CanWrite => true;

    public override void Flush() => FlushAsync(CancellationToken.None).GetAwaiter().GetResult();

    public override Task FlushAsync(CancellationToken cancellationToken) =>
        _context.Response.HasStarted ? _context.Response.Body.FlushAsync(cancellationToken) : Task.CompletedTask;

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.IsEmpty)
        {
            return;
        }

        var response = _context.Response;
        if (!response.HasStarted)
        {
            response.StatusCode = 200;
            response.ContentType = _contentType;
        }

        await response.Body.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
        await response.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
    }
}
