"""Views of the shop."""

from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpResponse, JsonResponse
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from rest_framework import permissions, viewsets
from rest_framework.decorators import api_view, permission_classes
from rest_framework.response import Response
from rest_framework.views import APIView

from shop.models import Feedback, Order, Product, Profile
from shop.serializers import OrderSerializer


@login_required
def search(request):
    q = request.GET["q"]
    found = Product.objects.raw("SELECT * FROM shop_product WHERE name = '%s'" % q)  # noqa: UP031  VULN: sql-injection
    return JsonResponse({"names": [p.name for p in found]})


@login_required
def edit_profile(request, user_id):
    profile = Profile.objects.get(user_id=user_id)  # VULN: idor
    profile.bio = request.POST["bio"]
    profile.save()
    return JsonResponse({"ok": True})


class AdminReportView(LoginRequiredMixin, View):  # VULN: missing-admin-check
    def get(self, request):
        return JsonResponse({"orders": Order.objects.count()})


class ExportView(APIView):  # VULN: missing-auth
    def get(self, request):
        return Response({"orders": list(Order.objects.values())})


@api_view(["POST"])
@permission_classes([permissions.IsAuthenticated])
def calculate(request):
    return Response({"value": eval(request.data["expression"])})  # VULN: code-injection


@csrf_exempt  # VULN(medium): csrf-disabled
@login_required
def feedback(request):
    Feedback.objects.create(user=request.user, text=request.POST["text"])
    return HttpResponse(status=204)


class OrderViewSet(viewsets.ModelViewSet):
    queryset = Order.objects.all()
    serializer_class = OrderSerializer
    permission_classes = (permissions.IsAuthenticated,)

    def get_queryset(self):
        return Order.objects.filter(owner=self.request.user)
