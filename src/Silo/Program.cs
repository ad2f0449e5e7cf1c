using SoulBox.Silo.Api;
using SoulBox.Silo.Auth;
using SoulBox.Silo.E2b;
using SoulBox.Silo.Hosting;

if (KeysCommand.IsInvocation(args))
{
    return await KeysCommand.RunAsync(args);
}

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddSoulBoxSilo();
builder.AddSoulBoxGateway();

var app = builder.Build();

app.UseSoulBoxGateway();
app.MapDefaultEndpoints();
if (app.IsSoulBoxGateway())
{
    var v1 = app.MapGroup("/v1").RequireTenant().AddEndpointFilter(RetainedResults.FilterAsync);
    v1.MapTemplateApi();
    v1.MapSandboxApi();
    v1.MapRunApi();
    v1.MapFilesApi();
    v1.MapProcessApi();
    v1.MapExecuteApi();
    app.MapPistonApi().RequireTenant();
    app.MapE2b();
    app.MapApiReference();
    app.MapSoulBoxDashboard();
    app.MapAdminApi().RequireAuthorization(AuthExtensions.AdminPolicy);
}

await app.RunAsync();
return 0;

/// <summary>Entry point, visible to integration tests.</summary>
public partial class Program;
