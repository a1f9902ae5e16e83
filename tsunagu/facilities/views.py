from django.shortcuts import render


def directory(request):
    return render(request, "facilities/directory.html", {})
