using Google.Protobuf;
using SoulBox.Silo.E2b.Envd.Connect;

namespace SoulBox.Silo.E2b.Envd;

/// <summary>One unary envd call under its deadline (Connect-Timeout-Ms): 200 with the response message, or the
/// Connect error with its HTTP status.</summary>
internal static class EnvdUnary
{
    public static async Task RunAsync(HttpContext http, TimeProvider time, Func<CancellationToken, Task<IMessage>> call, ILogger logger,
        CancellationToken cancellationToken)
    {
        var timeoutMs = ConnectHeaders.TimeoutMilliseconds(http.Request);
        using var deadline = timeoutMs is { } ms ? new CancellationTokenSource(TimeSpan.FromMilliseconds(ms), time) : null;
        using var linked = deadline is null ? null : CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        ConnectException error;
        try
        {
            var response = await call(linked?.Token ?? cancellationToken);
            await ConnectUnary.WriteAsync(http, response, cancellationToken);
            return;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return; // the client went away
        }
        catch (OperationCanceledException) when (deadline?.IsCancellationRequested == true)
        {
            error = new ConnectException(ConnectCodes.DeadlineExceeded, $"The call's deadline (Connect-Timeout-Ms {timeoutMs}) passed.");
        }
        catch (Exception e)
        {
            error = EnvdErrors.From(e);
            if (error.Code == ConnectCodes.Internal)
            {
                EnvdLog.CallFailed(logger, e, http.Request.Path.Value ?? "");
            }
        }

        await ConnectUnary.WriteErrorAsync(http, error, cancellationToken);
    }
}
