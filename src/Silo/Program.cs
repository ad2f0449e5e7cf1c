using SoulBox.Silo.Hosting;

var builder = WebApplication.CreateBuilder(args);

builder.AddSoulBoxSilo();

var app = builder.Build();

app.MapGet("/health", () => Results.Ok(new { status = "healthy" }));

app.Run();

/// <summary>Entry point, visible to integration tests.</summary>
public partial class Program;
