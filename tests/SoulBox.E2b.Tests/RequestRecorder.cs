using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;

namespace SoulBox.E2b.Tests;

/// <summary>One request as it reached the node, before any of the node's own middleware (the E2B router moves
/// data-plane requests under a private prefix later): method, path, and the SDK's User-Agent
/// (<c>e2b-js-sdk/&lt;version&gt;</c>), so a test can tell which SDK used which path, and the body's Content-Type.</summary>
public sealed record SeenRequest(string Method, string Path, string UserAgent, string ContentType = "");

/// <summary>Puts a recorder of every request in front of the node's pipeline (an <see cref="IStartupFilter"/> runs
/// before the app's own middleware).</summary>
internal sealed class RequestRecorder(ConcurrentQueue<SeenRequest> seen) : IStartupFilter
{
    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.Use(async (context, nextMiddleware) =>
        {
            seen.Enqueue(new SeenRequest(context.Request.Method, context.Request.Path.Value ?? "", context.Request.Headers.UserAgent.ToString(), context.Request.ContentType ?? ""));
            await nextMiddleware(context);
        });
        next(app);
    };
}
